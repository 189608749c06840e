import { describe, expect, it } from 'vitest'
import { ApiError, toApiError } from '../../../../../services/gateway/web/src/api/graphql-client.ts'

describe('toApiError (what the dashboard shows for a GraphQL error)', () => {
  it('takes extensions.code and retriable from the first error and counts the others', () => {
    const err = toApiError(
      [
        { message: 'updatePolicy needs the admin role', extensions: { code: 'FORBIDDEN', retriable: false } },
        { message: 'second', extensions: { code: 'NOT_FOUND' } },
      ],
      200,
    )
    expect(err).toBeInstanceOf(ApiError)
    expect(err.code).toBe('FORBIDDEN')
    expect(err.message).toBe('updatePolicy needs the admin role (and 1 more)')
    expect(err.retriable).toBe(false)
  })

  it('keeps field-level problems (POLICY_INVALID) with their paths, dropping malformed entries', () => {
    const err = toApiError(
      [
        {
          message: 'the policy is invalid',
          extensions: {
            code: 'POLICY_INVALID',
            fields: [
              { path: ['edge', 'budget'], message: 'expected one of 16, 36, 64' },
              { path: 'escalation.auditRate', message: 'expected 0–1' },
              { path: 'x' },
              'nonsense',
            ],
          },
        },
      ],
      200,
    )
    expect(err.fields).toEqual([
      { path: 'edge.budget', message: 'expected one of 16, 36, 64' },
      { path: 'escalation.auditRate', message: 'expected 0–1' },
    ])
  })

  it('falls back to HTTP_<status> without a code', () => {
    expect(toApiError([{ message: 'too large' }], 413).code).toBe('HTTP_413')
  })
})
