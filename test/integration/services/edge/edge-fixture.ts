import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { createLogger, type Logger } from '../../../../lib/log/index.ts'
import { type VerdictV2, verdictV2 } from '../../../../lib/messaging/contracts/verdict.v2.ts'
import {
  type EscalationV1,
  escalationV1,
  type PolicyInputV2,
  type PolicyV2,
  policyPayloadV2,
  policyV2,
  type ResultV1,
  resultV1,
} from '../../../../lib/messaging/index.ts'
import { encodeGreyPng } from '../../../../lib/vision/dataset/png-grey.ts'
import { generateSample } from '../../../../lib/vision/index.ts'
import { loadConfig } from '../../../../services/edge/src/config.ts'
import { type RunningEdge, startEdge } from '../../../../services/edge/src/edge.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

export type TestEdge = RunningEdge & { dataDir: string; cleanup: () => Promise<void> }

/** An edge node on a free port with its own data dir, the shipped models and `env` on top; `log` captures its log. */
export async function startTestEdge(
  brokers: string[],
  env: Record<string, string> = {},
  dataDir?: string,
  log?: Logger,
): Promise<TestEdge> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'tokenline-edge-'))
  const config = loadConfig({
    EDGE_PORT: '0',
    TOKENLINE_DATA_DIR: dir,
    KAFKA_BROKERS: brokers.join(','),
    EDGE_LINES: 'plant-1/line-a',
    LOG_LEVEL: 'silent',
    ...env,
  })
  const edge = await startEdge(config, { log: log ?? createLogger('edge', env.LOG_LEVEL ?? 'silent') })
  return {
    ...edge,
    dataDir: dir,
    cleanup: async () => {
      await edge.close()
      if (!dataDir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

export function testPolicy(overrides: Partial<PolicyInputV2> = {}): PolicyV2 {
  return policyPayloadV2.parse({
    plantId: 'plant-1',
    lineId: 'line-a',
    version: 1,
    author: 'test',
    reason: 'test',
    createdAt: new Date().toISOString(),
    rolledBackTo: null,
    edge: { model: 'edge-vit-s', budget: 16, ladder: [] },
    cloud: { model: 'cloud-vit-m', budget: 256 },
    escalation: { thresholds: {}, perClass: {}, alwaysEscalate: [], auditRate: 0 },
    cloudTokenCapPerHour: null,
    atCap: 'edge-verdict',
    deadlineMs: 60_000,
    pastDeadline: 'edge-verdict',
    question: null,
    costPer1kTokens: { edge: 0, cloud: 0.02 },
    egress: { mode: 'whole' },
    ...overrides,
  })
}

/** Generated 256×256 PNG images (held-out seeds), one per seed. */
export function images(count: number, firstSeed = 7_000_000): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    encodeGreyPng(256, 256, generateSample(firstSeed + i, 256).pixels),
  )
}

export async function post(
  edge: { url: string },
  body: Uint8Array,
  options: { line?: string; type?: string; question?: string } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const params = new URLSearchParams({ line: options.line ?? 'line-a' })
  if (options.question) params.set('question', options.question)
  const res = await fetch(`${edge.url}/v1/inspections?${params}`, {
    method: 'POST',
    headers: { 'content-type': options.type ?? 'image/png' },
    body: Buffer.from(body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers }
}

export async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url)
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

export async function waitUntil<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Test-side Kafka: publish policies and verdicts as the gateway and cloud would; read what the edge sends. */
export async function testKafka(brokers: string[]) {
  const kafka = new Kafka({ brokers, clientId: 'edge-test', logLevel: logLevel.NOTHING })
  const producer = kafka.producer()
  await producer.connect()
  const consumers: { disconnect: () => Promise<void> }[] = []
  const results = new Map<string, ResultV1[]>()
  const escalations = new Map<string, EscalationV1[]>()
  const consumer = kafka.consumer({ groupId: `edge-test-${Math.random()}`, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topics: [resultV1.topic, escalationV1.topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      if (topic === resultV1.topic) {
        const r = resultV1.decode(message.value, message.headers)
        results.set(r.inspectionId, [...(results.get(r.inspectionId) ?? []), r])
      } else {
        const e = escalationV1.decode(message.value, message.headers)
        escalations.set(e.inspectionId, [...(escalations.get(e.inspectionId) ?? []), e])
      }
    },
  })
  consumers.push(consumer)
  return {
    results,
    escalations,
    async publishPolicy(policy: PolicyV2) {
      const { value, headers } = policyV2.encode(policy)
      await producer.send({ topic: policyV2.topic, messages: [{ key: policy.lineId, value, headers }] })
    },
    async publishVerdict(verdict: VerdictV2) {
      const { value, headers } = verdictV2.encode(verdict)
      await producer.send({ topic: verdictV2.topic, messages: [{ key: verdict.lineId, value, headers }] })
    },
    async close() {
      await Promise.all(consumers.map((c) => c.disconnect()))
      await producer.disconnect()
    },
  }
}

/** The verdict the cloud would send for `e`. */
export function verdictFor(e: EscalationV1, label: string): VerdictV2 {
  const labels = Object.keys(e.edge.probabilities)
  const probabilities = Object.fromEntries(
    labels.map((l) => [l, l === label ? 0.96 : 0.04 / (labels.length - 1)]),
  )
  const decidedAt = new Date().toISOString()
  return {
    inspectionId: e.inspectionId,
    plantId: e.plantId,
    lineId: e.lineId,
    policyVersion: e.policyVersion,
    reason: e.reason,
    escalatedAt: e.escalatedAt,
    deadlineAt: e.deadlineAt,
    decidedAt,
    late: e.deadlineAt !== null && Date.parse(decidedAt) > Date.parse(e.deadlineAt),
    question: e.question,
    requestedBudget: e.cloud.budget,
    cloud: {
      model: { name: e.cloud.model, sha256: 'b'.repeat(64) },
      budget: e.cloud.budget,
      label,
      probabilities,
      patchScores: [],
      latencyMs: 5,
    },
    answer: null,
    tokens: { vision: e.cloud.budget, question: 0 },
    cost: { per1kTokens: 0.02, amount: (e.cloud.budget / 1000) * 0.02, priceSource: 'policy' },
    latency: { totalMs: 10, cloudMs: 8, queueMs: 1, inferenceMs: 5 },
    batchSize: 1,
    executionProvider: 'cpu',
    instance: 'test',
  }
}
