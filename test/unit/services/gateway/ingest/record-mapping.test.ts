import { describe, expect, it } from 'vitest'
import {
  resultWrite,
  verdictV1Write,
  verdictV2Write,
} from '../../../../../services/gateway/src/ingest/record-mapping.ts'
import {
  result,
  verdictV1,
  verdictV2,
} from '../../../../integration/services/gateway/ingest/ingest-fixture.ts'

const capturedAt = '2026-11-05T10:00:00.000Z'

describe('record mapping', () => {
  it('an accepted result is a final edge verdict priced from the ladder', () => {
    const write = resultWrite(result({ capturedAt, ladder: [16, 64], label: 'pit', confidence: 0.8 }), 0.5)
    expect(write).toMatchObject({
      escalated: false,
      disposition: 'accepted',
      ladder: [16, 64],
      edgeConfidence: 0.8,
      edge: { label: 'pit', budget: 64, tokens: 80, cost: 0.04, model: 'edge-test', latencyMs: 20 },
      final: { verdict: 'pit', decidedBy: 'edge', latencyMs: 20 },
    })
    expect(write.receivedAt.toISOString()).toBe(capturedAt)
    expect(write).not.toHaveProperty('escalationReason')
  })

  it('escalated and held results carry no verdict', () => {
    const escalated = resultWrite(result({ capturedAt, disposition: 'escalated', reason: 'audit' }), 0)
    expect(escalated).toMatchObject({ escalated: true, disposition: 'escalated', escalationReason: 'audit' })
    expect(escalated.final).toBeUndefined()
    const held = resultWrite(result({ capturedAt, disposition: 'held', reason: 'confidence' }), 0)
    expect(held).toMatchObject({ escalated: false, disposition: 'held' })
    expect(held.final).toBeUndefined()
  })

  it('verdicts are final cloud verdicts: v2 with its cost and lateness, v1 priced here', () => {
    const r = result({ capturedAt, disposition: 'escalated' })
    const v2 = verdictV2Write(verdictV2(r, 'scratch', { afterMs: 300, amount: 0.7 }))
    expect(v2).toMatchObject({
      escalated: true,
      cloudLate: false,
      escalationReason: 'confidence',
      cloud: { label: 'scratch', tokens: 260, cost: 0.7, latencyMs: 300 },
      final: { verdict: 'scratch', decidedBy: 'cloud' },
    })
    expect(v2.receivedAt.toISOString()).toBe(r.decidedAt)
    const v1 = verdictV1Write(verdictV1(r, 'ok', 700), 0.02)
    expect(v1).toMatchObject({
      cloud: { tokens: 256, cost: 0.00512, latencyMs: 700 },
      final: { verdict: 'ok' },
    })
    expect(v1).not.toHaveProperty('cloudLate')
  })
})
