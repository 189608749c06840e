import type {
  DlqV1,
  EscalationV1,
  PolicyV1,
  ResultV1,
  VerdictV1,
} from '../../../../../lib/messaging/index.ts'

const sha = 'a'.repeat(64)
const probabilities = { ok: 0.55, scratch: 0.3, pit: 0.15 }

export function escalation(overrides: Partial<EscalationV1> = {}): EscalationV1 {
  return {
    inspectionId: '2f1c6a52-7c1e-4b8e-9a55-0d5a0f6b2c11',
    plantId: 'plant-1',
    lineId: 'line-a',
    capturedAt: '2026-11-26T18:00:00.000Z',
    escalatedAt: '2026-11-26T18:00:00.050Z',
    deadlineAt: '2026-11-26T18:00:05.050Z',
    policyVersion: 3,
    reason: 'confidence',
    question: 'is there a scratch?',
    edge: {
      model: { name: 'edge-vit', sha256: sha },
      budget: 4,
      label: 'ok',
      probabilities,
      patchScores: [0.1, 0.2, 0.9, 0.05],
      latencyMs: 1.5,
    },
    ladder: [4],
    cloud: { model: 'cloud-vit', budget: 64 },
    image: {
      encoding: 'raw',
      width: 4,
      height: 2,
      channels: 1,
      colorSpace: 'b-w',
      bytes: Buffer.from([0, 1, 2, 3, 250, 251, 252, 255]),
    },
    ...overrides,
  }
}

export function verdict(overrides: Partial<VerdictV1> = {}): VerdictV1 {
  return {
    inspectionId: '2f1c6a52-7c1e-4b8e-9a55-0d5a0f6b2c11',
    plantId: 'plant-1',
    lineId: 'line-a',
    policyVersion: 3,
    escalatedAt: '2026-11-26T18:00:00.050Z',
    decidedAt: '2026-11-26T18:00:00.400Z',
    question: 'is there a scratch?',
    cloud: {
      model: { name: 'cloud-vit', sha256: sha },
      budget: 4,
      label: 'scratch',
      probabilities: { ok: 0.1, scratch: 0.85, pit: 0.05 },
      patchScores: [],
      latencyMs: 12,
    },
    answer: { yes: true, probability: 0.91 },
    tokens: { vision: 4, question: 5 },
    batchSize: 8,
    ...overrides,
  }
}

export function result(overrides: Partial<ResultV1> = {}): ResultV1 {
  return {
    inspectionId: '2f1c6a52-7c1e-4b8e-9a55-0d5a0f6b2c11',
    plantId: 'plant-1',
    lineId: 'line-a',
    capturedAt: '2026-11-26T18:00:00.000Z',
    decidedAt: '2026-11-26T18:00:00.040Z',
    policyVersion: 3,
    question: null,
    edge: {
      model: { name: 'edge-vit', sha256: sha },
      budget: 4,
      label: 'ok',
      probabilities,
      patchScores: [0.1, 0.2, 0.9, 0.05],
      latencyMs: 1.5,
    },
    ladder: [4],
    disposition: 'escalated',
    escalationReason: 'confidence',
    latencyMs: 40,
    ...overrides,
  }
}

export function policy(overrides: Partial<PolicyV1> = {}): PolicyV1 {
  return {
    plantId: 'plant-1',
    lineId: 'line-a',
    version: 3,
    author: 'engineer@plant-1',
    reason: 'tighten pit threshold',
    createdAt: '2026-11-26T17:00:00.000Z',
    rolledBackTo: null,
    edge: { model: 'edge-vit', budget: 16, ladder: [64] },
    cloud: { model: 'cloud-vit', budget: 256 },
    escalation: {
      thresholds: { minConfidence: 0.8, minMargin: 0.2 },
      perClass: { pit: { minConfidence: 0.95 } },
      alwaysEscalate: ['crack'],
      auditRate: 0.01,
    },
    cloudTokenCapPerHour: 1_000_000,
    atCap: 'edge-verdict',
    deadlineMs: 5000,
    pastDeadline: 'hold',
    question: null,
    costPer1kTokens: { edge: 0.0001, cloud: 0.01 },
    ...overrides,
  }
}

export function deadLetter(overrides: Partial<DlqV1> = {}): DlqV1 {
  return {
    original: {
      topic: 'tokenline.escalations.v1',
      partition: 2,
      offset: '9007199254740993',
      key: 'line-a',
      timestamp: '1795716000000',
      headers: { 'tokenline-schema': 'tokenline.escalation' },
      valueNull: false,
    },
    consumerGroup: 'tokenline-cloud',
    error: { code: 'MESSAGING_MESSAGE_INVALID', message: 'bad', retriable: false, attempts: 0 },
    deadLetteredAt: '2026-11-26T18:00:01.000Z',
    value: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
    ...overrides,
  }
}
