import { describe, expect, it } from 'vitest'
import { policyV2 } from '../../../../../lib/messaging/index.ts'
import { policy } from '../../policy/fixtures.ts'

describe('policy contract v2', () => {
  it('round-trips a policy with its egress and defaults the region margin to 1 patch', () => {
    const p = policy({ egress: { mode: 'region' } })
    expect(p.egress).toEqual({ mode: 'region', regionMarginPatches: 1 })
    const { value, headers } = policyV2.encode(p)
    expect(headers).toMatchObject({ 'tokenline-schema': 'tokenline.policy', 'tokenline-schema-version': '2' })
    expect(policyV2.decode(value, headers)).toEqual(p)
  })

  it.each([
    ['no egress', (p: Record<string, unknown>) => delete p.egress, 'egress'],
    ['egress mode "cloud"', (p: Record<string, unknown>) => (p.egress = { mode: 'cloud' }), 'egress.mode'],
    [
      'a ladder below the edge budget',
      (p: Record<string, unknown>) => (p.edge = { model: 'e', budget: 64, ladder: [16] }),
      'edge.ladder',
    ],
    [
      'an audit rate of 1.5',
      (p: Record<string, unknown>) =>
        (p.escalation = { thresholds: {}, perClass: {}, alwaysEscalate: [], auditRate: 1.5 }),
      'escalation.auditRate',
    ],
    [
      'a budget of 15 tokens',
      (p: Record<string, unknown>) => (p.cloud = { model: 'c', budget: 15 }),
      'cloud.budget',
    ],
  ])('refuses %s, naming the field', (_what, mutate, field) => {
    const raw = JSON.parse(JSON.stringify(policy())) as Record<string, unknown>
    mutate(raw)
    const value = Buffer.from(JSON.stringify(raw))
    const headers = {
      'tokenline-schema': 'tokenline.policy',
      'tokenline-schema-version': '2',
      'content-type': 'application/json',
    }
    expect(() => policyV2.decode(value, headers)).toThrow(
      expect.objectContaining({ code: 'MESSAGING_MESSAGE_INVALID', message: expect.stringContaining(field) }),
    )
  })
})
