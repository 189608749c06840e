import { randomUUID } from 'node:crypto'
import { Kafka, logLevel } from 'kafkajs'
import { pino } from 'pino'
import {
  type DlqV1,
  dlqV1,
  type EscalationV1,
  type Messaging,
  openMessaging,
  type ResultV1,
  type VerdictV1,
  type VerdictV2,
} from '../../../../../lib/messaging/index.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

export const silent = pino({ level: 'silent' })
const sha = (c: string) => c.repeat(64)

export function probabilities(
  label: string,
  p: number,
  labels = ['ok', 'pit', 'scratch'],
): Record<string, number> {
  return Object.fromEntries(labels.map((l) => [l, l === label ? p : (1 - p) / (labels.length - 1)]))
}

export type ResultOptions = {
  id?: string
  plantId?: string
  lineId?: string
  capturedAt: string
  decidedAt?: string
  label?: string
  confidence?: number
  ladder?: number[]
  disposition?: ResultV1['disposition']
  reason?: ResultV1['escalationReason']
  latencyMs?: number
  policyVersion?: number
}

/** A result as the edge's outbox relay publishes it. */
export function result(o: ResultOptions): ResultV1 {
  const ladder = o.ladder ?? [16]
  const label = o.label ?? 'ok'
  return {
    inspectionId: o.id ?? randomUUID(),
    plantId: o.plantId ?? 'plant-1',
    lineId: o.lineId ?? 'line-a',
    capturedAt: o.capturedAt,
    decidedAt: o.decidedAt ?? new Date(Date.parse(o.capturedAt) + (o.latencyMs ?? 20)).toISOString(),
    policyVersion: o.policyVersion ?? 1,
    question: null,
    edge: {
      model: { name: 'edge-test', sha256: sha('a') },
      budget: ladder[ladder.length - 1]!,
      label,
      probabilities: probabilities(label, o.confidence ?? 0.9),
      patchScores: [],
      latencyMs: 3,
    },
    ladder,
    disposition: o.disposition ?? 'accepted',
    escalationReason: o.reason ?? (o.disposition === 'escalated' ? 'confidence' : null),
    latencyMs: o.latencyMs ?? 20,
  }
}

/** The cloud's verdict (v2) for a result, `afterMs` after its decision. */
export function verdictV2(
  r: ResultV1,
  label: string,
  o: { afterMs?: number; amount?: number; late?: boolean } = {},
): VerdictV2 {
  const decidedAt = new Date(Date.parse(r.decidedAt) + (o.afterMs ?? 500)).toISOString()
  const deadlineAt = new Date(Date.parse(r.decidedAt) + (o.late ? 100 : 60_000)).toISOString()
  return {
    inspectionId: r.inspectionId,
    plantId: r.plantId,
    lineId: r.lineId,
    policyVersion: r.policyVersion,
    reason: r.escalationReason ?? 'confidence',
    escalatedAt: r.decidedAt,
    deadlineAt,
    decidedAt,
    late: Date.parse(decidedAt) > Date.parse(deadlineAt),
    question: null,
    requestedBudget: 256,
    cloud: {
      model: { name: 'cloud-test', sha256: sha('b') },
      budget: 256,
      label,
      probabilities: probabilities(label, 0.95),
      patchScores: [],
      latencyMs: 40,
    },
    answer: null,
    tokens: { vision: 256, question: 4 },
    cost: { per1kTokens: 0.02, amount: o.amount ?? (256 / 1000) * 0.02, priceSource: 'policy' },
    latency: { totalMs: o.afterMs ?? 500, cloudMs: 300, queueMs: 10, inferenceMs: 40 },
    batchSize: 4,
    executionProvider: 'cpu',
    instance: 'test',
  }
}

/** A v1 verdict, as an older cloud publishes it. */
export function verdictV1(r: ResultV1, label: string, afterMs = 700): VerdictV1 {
  return {
    inspectionId: r.inspectionId,
    plantId: r.plantId,
    lineId: r.lineId,
    policyVersion: r.policyVersion,
    escalatedAt: r.decidedAt,
    decidedAt: new Date(Date.parse(r.decidedAt) + afterMs).toISOString(),
    question: null,
    cloud: {
      model: { name: 'cloud-test', sha256: sha('b') },
      budget: 256,
      label,
      probabilities: probabilities(label, 0.9),
      patchScores: [],
      latencyMs: 40,
    },
    answer: null,
    tokens: { vision: 256, question: 0 },
    batchSize: 1,
  }
}

/** The escalation the edge sent for an escalated result, carrying `image`. */
export function escalation(r: ResultV1, image: EscalationV1['image']): EscalationV1 {
  return {
    inspectionId: r.inspectionId,
    plantId: r.plantId,
    lineId: r.lineId,
    capturedAt: r.capturedAt,
    escalatedAt: r.decidedAt,
    deadlineAt: null,
    policyVersion: r.policyVersion,
    reason: r.escalationReason ?? 'confidence',
    question: null,
    edge: r.edge,
    ladder: r.ladder,
    cloud: { model: 'cloud-test', budget: 256 },
    image,
  }
}

export function testMessaging(brokers: string[]): Promise<Messaging> {
  return openMessaging({ brokers, clientId: 'ingest-test', logger: silent })
}

/** True once `groupId` has committed every record of `topic` (lag 0 on every partition). */
export async function caughtUp(kafka: Kafka, groupId: string, topic: string): Promise<boolean> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const [high, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ])
    return high.every((p) => {
      const c = committed?.partitions.find((q) => q.partition === p.partition)
      return BigInt(c && c.offset !== '-1' ? c.offset : '0') >= BigInt(p.high)
    })
  } finally {
    await admin.disconnect()
  }
}

export function testKafka(brokers: string[]): Kafka {
  return new Kafka({ brokers, clientId: 'ingest-test-admin', logLevel: logLevel.NOTHING })
}

/** Every record on the dead-letter topic so far. */
export async function readDlq(kafka: Kafka, expected: number, timeoutMs = 30_000): Promise<DlqV1[]> {
  const records: DlqV1[] = []
  const consumer = kafka.consumer({ groupId: `dlq-reader-${randomUUID()}`, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topics: [dlqV1.topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message }) => {
      records.push(dlqV1.decode(message.value, message.headers))
    },
  })
  try {
    await waitUntil(() => records.length >= expected, timeoutMs, `${expected} dead letters`)
  } finally {
    await consumer.disconnect()
  }
  return records
}

export async function waitUntil<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
