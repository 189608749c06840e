import { GraphQLError } from 'graphql'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { DbError } from '../../../../../lib/db/index.ts'
import { formatErrorWith } from '../../../../../services/gateway/src/graphql/error-codes.ts'

const format = formatErrorWith(pino({ level: 'silent' }))
const fromResolver = (original: Error) =>
  new GraphQLError('raw', { path: ['inspections'], originalError: original })
const formatted = (error: GraphQLError) =>
  format({ message: error.message, path: error.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error)

describe('formatError', () => {
  it('maps a TokenlineError code to its public extensions.code with retriable', () => {
    expect(formatted(fromResolver(new DbError('DB_CURSOR_INVALID', 'expected a cursor')))).toEqual({
      message: 'expected a cursor',
      path: ['inspections'],
      extensions: { code: 'CURSOR_INVALID', retriable: false },
    })
    expect(formatted(fromResolver(new DbError('DB_UNREACHABLE', 'down', true)))).toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE', retriable: true },
    })
  })

  it('hides unexpected errors and reports a lost database as retriable', () => {
    expect(formatted(fromResolver(new Error('secret detail')))).toEqual({
      message: 'internal error',
      path: ['inspections'],
      extensions: { code: 'INTERNAL_SERVER_ERROR', retriable: false },
    })
    const lost = Object.assign(new Error('wrapped'), {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    })
    expect(formatted(fromResolver(lost)).extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retriable: true })
  })

  it('reports a database that stopped answering (the client-side query limit) as retriable', () => {
    // What drizzle throws when pg abandons a query after lib/db's queryTimeoutMs.
    const hung = Object.assign(new Error('Failed query: select 1\nparams: '), {
      cause: new Error('Query read timeout'),
    })
    expect(formatted(fromResolver(hung)).extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retriable: true })
  })

  it('leaves GraphQL errors of the request itself alone', () => {
    const validation = {
      message: 'Cannot query field "x"',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    }
    expect(format(validation, new GraphQLError(validation.message))).toBe(validation)
  })
})
