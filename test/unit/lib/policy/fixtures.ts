import { type PolicyInputV2, type PolicyV2, policyPayloadV2 } from '../../../../lib/messaging/index.ts'

/** A valid v2 policy for line `line-a`; overrides replace whole top-level fields. */
export function policy(overrides: Partial<PolicyInputV2> = {}): PolicyV2 {
  return policyPayloadV2.parse({
    plantId: 'plant-1',
    lineId: 'line-a',
    version: 4,
    author: 'qa@plant-1',
    reason: 'test',
    createdAt: '2026-12-01T08:00:00.000Z',
    rolledBackTo: null,
    edge: { model: 'edge-vit-s', budget: 16, ladder: [64] },
    cloud: { model: 'cloud-vit-m', budget: 256 },
    escalation: {
      thresholds: { minConfidence: 0.8 },
      perClass: {},
      alwaysEscalate: [],
      auditRate: 0,
    },
    cloudTokenCapPerHour: null,
    atCap: 'edge-verdict',
    deadlineMs: 5000,
    pastDeadline: 'edge-verdict',
    question: null,
    costPer1kTokens: { edge: 0, cloud: 0.02 },
    egress: { mode: 'whole' },
    ...overrides,
  })
}
