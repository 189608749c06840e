import { describe, expect, it } from 'vitest'
import {
  type MessagingError,
  platformTopics,
  type VerdictV2,
  verdictsTopicV2,
  verdictV1,
  verdictV2,
} from '../../../../../lib/messaging/index.ts'

function verdict(overrides: Partial<VerdictV2> = {}): VerdictV2 {
  return {
    inspectionId: '2f1c6a52-7c1e-4b8e-9a55-0d5a0f6b2c11',
    plantId: 'plant-1',
    lineId: 'line-a',
    policyVersion: 3,
    reason: 'confidence',
    escalatedAt: '2026-11-26T18:00:00.050Z',
    deadlineAt: '2026-11-26T18:00:05.050Z',
    decidedAt: '2026-11-26T18:00:00.400Z',
    late: false,
    question: 'is there a scratch?',
    requestedBudget: 64,
    cloud: {
      model: { name: 'cloud-vit', sha256: 'a'.repeat(64) },
      budget: 64,
      label: 'scratch',
      probabilities: { ok: 0.1, scratch: 0.85, pit: 0.05 },
      patchScores: [],
      latencyMs: 12,
    },
    answer: { yes: true, probability: 0.91 },
    tokens: { vision: 64, question: 4 },
    cost: { per1kTokens: 0.01, amount: 0.00064, priceSource: 'policy' },
    latency: { totalMs: 350, cloudMs: 40, queueMs: 5, inferenceMs: 12 },
    batchSize: 8,
    executionProvider: 'cpu',
    instance: 'cloud-a',
    ...overrides,
  }
}

function thrown(fn: () => unknown): MessagingError {
  try {
    fn()
  } catch (err) {
    return err as MessagingError
  }
  throw new Error('expected a throw')
}

describe('verdict v2', () => {
  it('round-trips as JSON with schema version 2 headers on its own topic', () => {
    const message = verdict()
    const encoded = verdictV2.encode(message)
    expect(encoded.headers).toEqual({
      'tokenline-schema': 'tokenline.verdict',
      'tokenline-schema-version': '2',
      'content-type': 'application/json',
    })
    expect(verdictV2.topic).toBe('tokenline.verdicts.v2')
    expect(verdictV2.decode(encoded.value, encoded.headers)).toEqual(message)
  })

  it('is a platform topic with as many partitions as the escalations', () => {
    const spec = platformTopics.find((t) => t.topic === verdictsTopicV2)
    const escalations = platformTopics.find((t) => t.topic === 'tokenline.escalations.v1')
    expect(spec?.partitions).toBe(escalations?.partitions)
  })

  it('accepts a late verdict and a case without a deadline', () => {
    const late = verdict({ deadlineAt: '2026-11-26T18:00:00.100Z', late: true })
    expect(verdictV2.decode(verdictV2.encode(late).value, verdictV2.encode(late).headers).late).toBe(true)
    expect(() => verdictV2.encode(verdict({ deadlineAt: null, late: false }))).not.toThrow()
  })

  it('refuses a late flag that contradicts the deadline', () => {
    const err = thrown(() =>
      verdictV2.encode(verdict({ deadlineAt: '2026-11-26T18:00:00.100Z', late: false })),
    )
    expect(err.code).toBe('MESSAGING_MESSAGE_INVALID')
    expect(err.message).toMatch(/late: expected late to be true exactly when decidedAt is after deadlineAt/)
    expect(thrown(() => verdictV2.encode(verdict({ deadlineAt: null, late: true }))).code).toBe(
      'MESSAGING_MESSAGE_INVALID',
    )
  })

  it('lists every invalid field: negative cost, unknown price source, empty provider', () => {
    const err = thrown(() =>
      verdictV2.encode(
        verdict({
          cost: { per1kTokens: -1, amount: 0, priceSource: 'guess' as 'policy' },
          executionProvider: '',
          requestedBudget: 50,
        }),
      ),
    )
    expect(err.retriable).toBe(false)
    expect(err.message).toMatch(/cost\.per1kTokens: .*received -1/)
    expect(err.message).toMatch(/cost\.priceSource: .*received "guess"/)
    expect(err.message).toMatch(/executionProvider: /)
    expect(err.message).toMatch(/requestedBudget: expected a perfect square/)
  })

  it('is not read as a v1 verdict (the version header differs)', () => {
    const encoded = verdictV2.encode(verdict())
    expect(thrown(() => verdictV1.decode(encoded.value, encoded.headers)).message).toMatch(
      /header tokenline-schema-version: expected "1" but received "2"/,
    )
  })
})
