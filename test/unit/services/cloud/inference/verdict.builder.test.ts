import { describe, expect, it } from 'vitest'
import type { ModelManifestV1 } from '../../../../../lib/contracts/model-manifest.v1.ts'
import { type EscalationV1, verdictV2 } from '../../../../../lib/messaging/index.ts'
import { buildVerdict, type CaseRun } from '../../../../../services/cloud/src/inference/verdict.builder.ts'

const manifest = {
  name: 'tiny-cloud',
  sha256: 'c'.repeat(64),
  labels: ['ok', 'scratch', 'pit'],
} as unknown as ModelManifestV1

const escalation = (overrides: Partial<EscalationV1> = {}): EscalationV1 => ({
  inspectionId: '2f1c6a52-7c1e-4b8e-9a55-0d5a0f6b2c11',
  plantId: 'plant-1',
  lineId: 'line-a',
  capturedAt: '2026-11-26T18:00:00.000Z',
  escalatedAt: '2026-11-26T18:00:00.000Z',
  deadlineAt: '2026-11-26T18:00:01.000Z',
  policyVersion: 2,
  reason: 'audit',
  question: 'is there a pit?',
  edge: {
    model: { name: 'tiny', sha256: 'd'.repeat(64) },
    budget: 4,
    label: 'ok',
    probabilities: { ok: 0.9, scratch: 0.05, pit: 0.05 },
    patchScores: [],
    latencyMs: 1,
  },
  ladder: [4],
  cloud: { model: 'tiny-cloud', budget: 9 },
  image: { encoding: 'raw', width: 1, height: 1, channels: 1, colorSpace: 'b-w', bytes: Buffer.from([1]) },
  ...overrides,
})

const run = (overrides: Partial<CaseRun> = {}): CaseRun => ({
  escalation: escalation(),
  model: { manifest, executionProvider: 'cpu' },
  budget: 16,
  questionTokens: 4,
  image: {
    labelIndex: 2,
    label: 'pit',
    confidence: 0.7,
    margin: 0.5,
    entropy: 0.8,
    probabilities: Float32Array.from([0.1, 0.2, 0.7]),
    patchScores: new Float32Array(16).fill(0.25),
    answerProbability: 0.8,
  },
  batchSize: 8,
  runMs: 12.5,
  waitedMs: 20,
  receivedAt: Date.parse('2026-11-26T18:00:00.300Z'),
  decidedAt: Date.parse('2026-11-26T18:00:00.500Z'),
  price: { per1kTokens: 0.02, source: 'policy' },
  instance: 'cloud-a',
  ...overrides,
})

describe('buildVerdict', () => {
  it('builds a valid v2 verdict: budget run vs asked, answer, tokens, cost on vision tokens, latency split', () => {
    const v = buildVerdict(run())
    expect(() => verdictV2.encode(v)).not.toThrow()
    expect(v).toMatchObject({
      reason: 'audit',
      late: false,
      requestedBudget: 9,
      decidedAt: '2026-11-26T18:00:00.500Z',
      answer: { yes: true, probability: 0.8 },
      tokens: { vision: 16, question: 4 },
      cost: { per1kTokens: 0.02, priceSource: 'policy' },
      latency: { totalMs: 500, cloudMs: 200, queueMs: 7.5, inferenceMs: 12.5 },
      batchSize: 8,
      executionProvider: 'cpu',
      instance: 'cloud-a',
    })
    expect(v.cost.amount).toBeCloseTo(0.00032, 12)
    expect(v.cloud).toMatchObject({
      budget: 16,
      label: 'pit',
      model: { name: 'tiny-cloud', sha256: 'c'.repeat(64) },
    })
    expect(v.cloud.probabilities).toEqual({ ok: 0.1, scratch: 0.2, pit: 0.7 })
    expect(v.cloud.patchScores).toHaveLength(16)
  })

  it('flags a case decided after its deadline as late, and only then', () => {
    expect(buildVerdict(run({ decidedAt: Date.parse('2026-11-26T18:00:01.001Z') })).late).toBe(true)
    expect(buildVerdict(run({ decidedAt: Date.parse('2026-11-26T18:00:01.000Z') })).late).toBe(false)
    expect(
      buildVerdict(
        run({ escalation: escalation({ deadlineAt: null }), decidedAt: Date.parse('2030-01-01T00:00:00Z') }),
      ).late,
    ).toBe(false)
  })

  it('has no answer without a question, and clamps a negative clock difference to 0', () => {
    const v = buildVerdict(
      run({
        escalation: escalation({ question: null, escalatedAt: '2026-11-26T18:00:09.000Z', deadlineAt: null }),
      }),
    )
    expect(v.answer).toBeNull()
    expect(v.latency.totalMs).toBe(0)
    expect(() => verdictV2.encode(v)).not.toThrow()
  })
})
