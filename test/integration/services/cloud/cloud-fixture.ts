import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { Kafka } from 'kafkajs'
import type { Logger } from '../../../../lib/log/index.ts'
import {
  createKafka,
  type EscalationV1,
  type MessageContract,
  MessageProducer,
  type PolicyV2,
  subscribe,
} from '../../../../lib/messaging/index.ts'
import { loadConfig } from '../../../../services/cloud/src/config.ts'

export const modelsDir = join(import.meta.dirname, '../../../fixtures/models')

/** Cloud config for tests: the tiny question-fused fixture model, port 0, short session timeout. */
export function testCloudConfig(brokers: string[], env: Record<string, string> = {}) {
  return loadConfig({
    KAFKA_BROKERS: brokers.join(','),
    CLOUD_PORT: '0',
    LOG_LEVEL: 'silent',
    TOKENLINE_MODELS_DIR: modelsDir,
    CLOUD_MODELS: 'tiny-cloud',
    CLOUD_SESSION_TIMEOUT_MS: '3000',
    INFERENCE_EXECUTION_PROVIDERS: 'cuda,cpu',
    ...env,
  })
}

/** An escalation for tiny-cloud at budget 64: a raw 32×32 grey image already resized for it. */
export function escalation(i: number, overrides: Partial<EscalationV1> = {}): EscalationV1 {
  const bytes = Buffer.alloc(32 * 32)
  for (let p = 0; p < bytes.length; p++) bytes[p] = (p * 7 + i * 13) % 256
  const now = Date.now()
  return {
    inspectionId: randomUUID(),
    plantId: 'plant-1',
    lineId: `line-${i % 4}`,
    capturedAt: new Date(now - 20).toISOString(),
    escalatedAt: new Date(now).toISOString(),
    deadlineAt: new Date(now + 600_000).toISOString(),
    policyVersion: 1,
    reason: i % 5 === 0 ? 'audit' : 'confidence',
    question: 'is there a scratch?',
    edge: {
      model: { name: 'tiny', sha256: 'b'.repeat(64) },
      budget: 4,
      label: 'ok',
      probabilities: { ok: 0.5, scratch: 0.3, pit: 0.2 },
      patchScores: [],
      latencyMs: 1,
    },
    ladder: [4],
    cloud: { model: 'tiny-cloud', budget: 64 },
    image: { encoding: 'raw', width: 32, height: 32, channels: 1, colorSpace: 'b-w', bytes },
    ...overrides,
  }
}

export function policy(lineId: string, version: number, cloudPrice: number): PolicyV2 {
  return {
    plantId: 'plant-1',
    lineId,
    version,
    author: 'test',
    reason: 'test price',
    createdAt: new Date().toISOString(),
    rolledBackTo: null,
    edge: { model: 'tiny', budget: 4, ladder: [] },
    cloud: { model: 'tiny-cloud', budget: 64 },
    escalation: { thresholds: { minConfidence: 0.8 }, perClass: {}, alwaysEscalate: [], auditRate: 0.1 },
    cloudTokenCapPerHour: null,
    atCap: 'edge-verdict',
    deadlineMs: 5000,
    pastDeadline: 'edge-verdict',
    question: null,
    costPer1kTokens: { edge: 0.001, cloud: cloudPrice },
    egress: { mode: 'whole', regionMarginPatches: 1 },
  }
}

export type Collector<T> = { messages: T[]; close(): Promise<void> }

/** Reads a contract's topic from its start in a group of its own and keeps every message. */
export async function collect<T>(
  kafka: Kafka,
  brokers: string[],
  logger: Logger,
  contract: MessageContract<T>,
): Promise<Collector<T>> {
  const messages: T[] = []
  const deadLetter = new MessageProducer(kafka, { logger, brokers })
  await deadLetter.connect()
  const subscription = await subscribe({
    kafka,
    brokers,
    logger,
    groupId: `collector-${randomUUID()}`,
    contract,
    deadLetter,
    maxWaitMs: 100,
    handler: async (message) => {
      messages.push(message)
    },
  })
  await subscription.joined
  return {
    messages,
    close: async () => {
      await subscription.close()
      await deadLetter.disconnect()
    },
  }
}

export async function until(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export function testKafka(brokers: string[], logger: Logger): Kafka {
  return createKafka({ brokers, clientId: `cloud-test-${randomUUID()}`, logger })
}
