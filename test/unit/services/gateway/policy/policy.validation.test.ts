import { describe, expect, it } from 'vitest'
import type { ModelRow } from '../../../../../lib/db/index.ts'
import type { PolicyInput } from '../../../../../services/gateway/src/graphql/resolvers.generated.ts'
import {
  policyWarnings,
  validatePolicy,
} from '../../../../../services/gateway/src/policy/policy.validation.ts'
import {
  type PolicyBody,
  policyBodyFromInput,
  policyView,
} from '../../../../../services/gateway/src/policy/policy-document.ts'

const model = (name: string, role: 'edge' | 'cloud', budgets: number[], measured: number[]): ModelRow => ({
  name,
  role,
  sha256: 'a'.repeat(64),
  labels: ['ok', 'scratch', 'pit'],
  patchSize: 8,
  budgets,
  manifest: { metrics: Object.fromEntries(measured.map((b) => [String(b), { accuracy: 0.8 }])) },
  registeredAt: new Date(0),
  updatedAt: new Date(0),
})
const models = [model('e', 'edge', [16, 64, 256], [16, 64]), model('c', 'cloud', [64, 256], [64, 256])]

const input = (over: Partial<PolicyInput> = {}): PolicyInput => ({
  edge: { model: 'e', budget: 16, ladder: [64] },
  cloud: { model: 'c', budget: 256 },
  escalation: {
    thresholds: { minConfidence: 0.8, minMargin: null, maxEntropy: null },
    perClass: [{ label: 'pit', minConfidence: 0.9 }],
    alwaysEscalate: ['scratch'],
    auditRate: 0.02,
  },
  cloudTokenCapPerHour: null,
  atCap: 'EDGE_VERDICT',
  deadlineMs: 5000,
  pastDeadline: 'HOLD',
  question: null,
  costPer1kTokens: { edge: 0, cloud: 0.02 },
  egress: { mode: 'REGION', regionMarginPatches: null },
  ...over,
})
const line = { id: 'line-a', plantId: 'plant-1' }
const problems = (over: Partial<PolicyInput>) => {
  const { body, problems: found } = policyBodyFromInput(input(over), line)
  return [...found, ...validatePolicy(body, models)]
}

describe('policy validation', () => {
  it('accepts a policy the models can run, in the v2 contract form', () => {
    const { body, problems: found } = policyBodyFromInput(input(), line)
    expect(found).toEqual([])
    expect(validatePolicy(body, models)).toEqual([])
    expect(body).toEqual({
      plantId: 'plant-1',
      lineId: 'line-a',
      edge: { model: 'e', budget: 16, ladder: [64] },
      cloud: { model: 'c', budget: 256 },
      escalation: {
        thresholds: { minConfidence: 0.8 },
        perClass: { pit: { minConfidence: 0.9 } },
        alwaysEscalate: ['scratch'],
        auditRate: 0.02,
      },
      cloudTokenCapPerHour: null,
      atCap: 'edge-verdict',
      deadlineMs: 5000,
      pastDeadline: 'hold',
      question: null,
      costPer1kTokens: { edge: 0, cloud: 0.02 },
      egress: { mode: 'region', regionMarginPatches: 1 },
    })
  })

  it.each([
    [
      'edge.model',
      { edge: { model: 'nope', budget: 16, ladder: [] } },
      'expected a registered edge model (e); received "nope"',
    ],
    [
      'edge.model',
      { edge: { model: 'c', budget: 64, ladder: [] } },
      'expected a model with role edge; "c" has role cloud',
    ],
    [
      'edge.budget',
      { edge: { model: 'e', budget: 32, ladder: [] } },
      'expected a budget e supports (16, 64, 256); received 32',
    ],
    [
      'edge.ladder[0]',
      { edge: { model: 'e', budget: 64, ladder: [16] } },
      'expected ladder budgets strictly ascending above edge.budget 64; received 16 after 64',
    ],
    [
      'edge.ladder[1]',
      { edge: { model: 'e', budget: 16, ladder: [64, 64] } },
      'expected ladder budgets strictly ascending above edge.budget 16; received 64 after 64',
    ],
    [
      'cloud.budget',
      { cloud: { model: 'c', budget: 16 } },
      'expected a budget c supports (64, 256); received 16',
    ],
    [
      'cloud.model',
      { cloud: { model: 'e', budget: 64 } },
      'expected a model with role cloud; "e" has role edge',
    ],
    [
      'escalation.thresholds.minMargin',
      { escalation: { thresholds: { minMargin: 1.01 }, auditRate: 0 } },
      'expected a probability in [0, 1]; received 1.01',
    ],
    [
      'escalation.thresholds.maxEntropy',
      { escalation: { thresholds: { maxEntropy: -0.5 }, auditRate: 0 } },
      'expected an entropy >= 0 nats; received -0.5',
    ],
    [
      'escalation.perClass.dent.label',
      { escalation: { thresholds: {}, perClass: [{ label: 'dent' }], auditRate: 0 } },
      'expected a label of e (ok, scratch, pit); received "dent"',
    ],
    [
      'escalation.perClass[1].label',
      { escalation: { thresholds: {}, perClass: [{ label: 'ok' }, { label: 'ok' }], auditRate: 0 } },
      'expected each label once in perClass; "ok" is listed again',
    ],
    [
      'escalation.alwaysEscalate[0]',
      { escalation: { thresholds: {}, alwaysEscalate: ['dent'], auditRate: 0 } },
      'expected a label of e (ok, scratch, pit); received "dent"',
    ],
    [
      'escalation.auditRate',
      { escalation: { thresholds: {}, auditRate: -0.1 } },
      'expected a fraction in [0, 1]; received -0.1',
    ],
    [
      'cloudTokenCapPerHour',
      { cloudTokenCapPerHour: -1 },
      'expected cloud tokens per hour >= 0, or null for no cap; received -1',
    ],
    ['deadlineMs', { deadlineMs: -5 }, 'expected a deadline > 0 ms; received -5'],
    [
      'costPer1kTokens.cloud',
      { costPer1kTokens: { edge: 0, cloud: -0.01 } },
      'expected a price per 1,000 tokens >= 0; received -0.01',
    ],
    [
      'question',
      { question: '   ' },
      'expected 1–500 characters, or null for vision only; received 3 characters of blank',
    ],
    [
      'egress.regionMarginPatches',
      { egress: { mode: 'REGION', regionMarginPatches: 65 } },
      'expected a whole number of patches 0–64; received 65',
    ],
  ] as [string, Partial<PolicyInput>, string][])('names %s', (path, over, message) => {
    expect(problems(over)).toEqual([{ path, message }])
  })

  it('warns about unmeasured budgets, no audits, no thresholds, a zero cap and no egress', () => {
    const { body } = policyBodyFromInput(
      input({
        edge: { model: 'e', budget: 16, ladder: [256] },
        escalation: { thresholds: {}, auditRate: 0 },
        cloudTokenCapPerHour: 0,
        egress: { mode: 'NONE' },
      }),
      line,
    )
    expect(policyWarnings(body, models)).toEqual([
      'edge.ladder[0] 256: e has no measured accuracy at this budget (largest measured 64)',
      'escalation.auditRate 0: confident edge decisions are never checked, so edge accuracy has no unbiased estimate',
      'no escalation threshold and no always-escalate class: only audits ever reach the cloud',
      'cloudTokenCapPerHour 0: no case reaches the cloud; every escalation gets atCap (edge-verdict)',
      'egress NONE: no image leaves the site; cases the cloud would decide are held for a person',
    ])
    expect(policyWarnings(policyBodyFromInput(input(), line).body, models)).toEqual([])
  })

  it('warns (never refuses) about budgets past the resolution of the training images', () => {
    // 28×28 px images, 8-px patches: 16 tokens (32 px) hold every pixel; 64 (64 px) and 256 only upsample.
    const small = (m: ModelRow): ModelRow => ({
      ...m,
      manifest: { ...(m.manifest as object), nativeSize: { width: 28, height: 28 } },
    })
    const lowRes = [small(models[0]!), small(models[1]!)]
    const { body } = policyBodyFromInput(input(), line)
    expect(validatePolicy(body, lowRes)).toEqual([])
    expect(policyWarnings(body, lowRes)).toEqual([
      'edge.ladder[0] 64: upsampled — e was trained on 28×28 px images and 64 tokens resize them to 64 px, more tokens for no more information (native budget 16)',
      'cloud.budget 256: upsampled — c was trained on 28×28 px images and 256 tokens resize them to 128 px, more tokens for no more information (native budget 64)',
    ])
  })

  it('shows a stored version with enums and perClass as lists', () => {
    const { body } = policyBodyFromInput(input(), line)
    const row = {
      lineId: 'line-a',
      version: 4,
      author: 'ana',
      reason: 'r',
      body: body as unknown as Record<string, unknown>,
      rolledBackTo: 2,
      createdAt: new Date('2026-11-01T00:00:00Z'),
    }
    expect(policyView(row, 'plant-1', [])).toMatchObject({
      version: 4,
      rolledBackTo: 2,
      atCap: 'EDGE_VERDICT',
      pastDeadline: 'HOLD',
      egress: { mode: 'REGION', regionMarginPatches: 1 },
      escalation: { perClass: [{ label: 'pit', minConfidence: 0.9, minMargin: null, maxEntropy: null }] },
    })
    const stored: PolicyBody = body
    expect(stored.egress.mode).toBe('region')
  })
})
