import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { Kafka } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log/index.ts'
import {
  type EscalationV1,
  ensureTopics,
  escalationsTopicV1,
  escalationV1,
  MessageProducer,
  type VerdictV2,
  verdictsTopicV2,
  verdictV2,
} from '../../../../lib/messaging/index.ts'
import { startTestBroker, type TestBroker } from '../broker/broker-fixture.ts'
import { type Collector, collect, escalation, modelsDir, testKafka, until } from './cloud-fixture.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const logger = createLogger('cloud-kill-test', 'silent')
const groupId = 'tokenline-cloud-kill-test'

let broker: TestBroker
let brokers: string[]
let kafka: Kafka
let producer: MessageProducer
let verdicts: Collector<VerdictV2>
const children: ChildProcess[] = []

type Cloud = { child: ChildProcess; port: number }

/** Runs `services/cloud/src/main.ts` as its own process; resolves once it logs that it is ready. */
function spawnCloud(instance: string, env: Record<string, string> = {}): Promise<Cloud> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/cloud/src/main.ts'], {
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      CLOUD_PORT: '0',
      CLOUD_INSTANCE_ID: instance,
      CLOUD_GROUP_ID: groupId,
      CLOUD_MODELS: 'tiny-cloud',
      TOKENLINE_MODELS_DIR: modelsDir,
      CLOUD_SESSION_TIMEOUT_MS: '3000',
      CLOUD_MAX_BATCH: '8',
      INFERENCE_EXECUTION_PROVIDERS: 'cpu',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  const output: string[] = []
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`cloud ${instance} not ready in 60 s: ${output.join('')}`)),
      60_000,
    )
    child.once('exit', (code) =>
      reject(new Error(`cloud ${instance} exited with ${code}: ${output.join('')}`)),
    )
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('cloud ready')) return
      clearTimeout(timer)
      resolve({ child, port: (JSON.parse(line) as { port: number }).port })
    })
  })
}

/** Sum over partitions of (end offset − the group's committed offset) on the escalations topic. */
async function uncommitted(): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const ends = await admin.fetchTopicOffsets(escalationsTopicV1)
    const [committed] = await admin.fetchOffsets({ groupId, topics: [escalationsTopicV1] })
    const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]))
    return ends.reduce((sum, p) => sum + Number(p.high) - Math.max(at.get(p.partition) ?? 0, 0), 0)
  } finally {
    await admin.disconnect()
  }
}

async function verdictLogLength(): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const ends = await admin.fetchTopicOffsets(verdictsTopicV2)
    return ends.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)
  } finally {
    await admin.disconnect()
  }
}

beforeAll(async () => {
  broker = await startTestBroker()
  brokers = [broker.broker.bootstrap]
  kafka = testKafka(brokers, logger)
  const admin = kafka.admin()
  await admin.connect()
  await ensureTopics(admin, { logger })
  await admin.disconnect()
  producer = new MessageProducer(kafka, { logger, brokers })
  await producer.connect()
  verdicts = await collect(kafka, brokers, logger, verdictV2)
})

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  await verdicts?.close()
  await producer?.disconnect()
  await broker?.close()
})

describe('two cloud instances, one killed with SIGKILL mid-run', () => {
  it('share the work; after the kill every case has exactly one verdict', async () => {
    // cloud-b holds every answered batch 1 s before committing its offsets, so the kill lands
    // while it has published verdicts whose escalations are not committed: they are redelivered
    // to cloud-a, which must find their verdicts in the log and not answer them again.
    const [{ child: a, port: aPort }, { child: b }] = await Promise.all([
      spawnCloud('cloud-a'),
      spawnCloud('cloud-b', { CLOUD_DRILL_COMMIT_DELAY_MS: '1000' }),
    ])
    const sent: EscalationV1[] = []
    const send = async (from: number, count: number) => {
      const batch = Array.from({ length: count }, (_, i) =>
        escalation(from + i, { lineId: `line-${(from + i) % 12}` }),
      )
      sent.push(...batch)
      await producer.publishBatch(
        escalationV1,
        batch.map((e) => ({ key: e.lineId, message: e })),
      )
    }
    const by = (instance: string) => verdicts.messages.filter((v) => v.instance === instance).length

    await send(0, 60)
    await until(() => by('cloud-a') > 0 && by('cloud-b') > 0, 'verdicts from both instances')

    // A backlog for both, then cloud-b is killed just after it published a batch's verdicts:
    // inside its commit delay, so that batch's escalations are still uncommitted.
    await send(60, 400)
    const bBefore = by('cloud-b')
    await until(() => by('cloud-b') >= bBefore + 16, 'cloud-b answering the backlog')
    const seen = by('cloud-b')
    await until(() => by('cloud-b') > seen, 'cloud-b publishing another batch')
    b.kill('SIGKILL')
    const killedAt = Date.now()
    await new Promise<void>((resolve) => b.once('exit', () => resolve()))
    await send(460, 100)

    const ids = new Set(sent.map((e) => e.inspectionId))
    const answered = () => new Set(verdicts.messages.map((v) => v.inspectionId))
    await until(() => [...ids].every((id) => answered().has(id)), 'a verdict for every case', 90_000)
    // Nothing left to redeliver, and every verdict in the log has been read back.
    let pending = Number.POSITIVE_INFINITY
    let logLength = -1
    await until(
      () => {
        void uncommitted().then((n) => {
          pending = n
        })
        void verdictLogLength().then((n) => {
          logLength = n
        })
        return pending === 0 && logLength === verdicts.messages.length
      },
      'the group to commit everything and the collector to read the whole verdict log',
      60_000,
    )

    const counts = new Map<string, number>()
    for (const v of verdicts.messages) counts.set(v.inspectionId, (counts.get(v.inspectionId) ?? 0) + 1)
    const duplicated = [...counts].filter(([, n]) => n > 1)
    expect(duplicated).toEqual([])
    expect(counts.size).toBe(sent.length)
    expect([...counts.keys()].every((id) => ids.has(id))).toBe(true)
    const afterKill = verdicts.messages.filter((v) => Date.parse(v.decidedAt) > killedAt)
    expect(afterKill.length).toBeGreaterThan(0)
    expect(afterKill.every((v) => v.instance === 'cloud-a')).toBe(true)
    const metrics = await (await fetch(`http://127.0.0.1:${aPort}/metrics`)).text()
    const skipped = Number(/^tokenline_cloud_duplicates_skipped_total (\d+)/m.exec(metrics)?.[1] ?? 0)
    expect(skipped).toBeGreaterThan(0)
    a.kill('SIGTERM')
    await new Promise<void>((resolve) => a.once('exit', () => resolve()))
    expect(a.exitCode).toBe(0)
  })
})
