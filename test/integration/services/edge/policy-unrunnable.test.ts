/**
 * Issue 14 follow-up, from the fault drill: the policies topic is compacted and replayed from the
 * start whenever the edge's consumer (re)joins, so a policy version the node cannot run (a model
 * it does not have) was logged again at every rejoin and restart, and never reached the
 * dead-letter topic. Now the node logs it once per (line, version) per process, dead-letters the
 * record once across rejoins and restarts (the ledger in the node's directory), and keeps running
 * its previous policy throughout.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel, type Producer } from 'kafkajs'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dlqV1, type PolicyV2, policyV2 } from '../../../../lib/messaging/index.ts'
import { startTestBroker, type TestBroker } from '../../lib/messaging/embedded-broker.ts'
import { startTestEdge, type TestEdge, testPolicy, waitUntil } from './edge-fixture.ts'

const policiesGroup = 'tokenline-edge-edge-1-policies'

type LogLine = Record<string, unknown>
const lines: LogLine[] = []
const log = pino(
  { level: 'info', base: { service: 'edge' } },
  { write: (s: string) => lines.push(JSON.parse(s) as LogLine) },
)

let broker: TestBroker
let client: Kafka
let producer: Producer
let edge: TestEdge | undefined
const dataDir = mkdtempSync(join(tmpdir(), 'tokenline-edge-unrunnable-'))

beforeAll(async () => {
  broker = await startTestBroker()
  client = new Kafka({
    brokers: broker.brokers,
    clientId: 'policy-unrunnable-test',
    logLevel: logLevel.NOTHING,
  })
  producer = client.producer()
  await producer.connect()
}, 60_000)

afterAll(async () => {
  await edge?.close()
  await producer?.disconnect()
  await broker?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

/** Publishes `policy` keyed by its line, on `partition` when given; returns where it landed. */
async function publish(policy: PolicyV2, partition?: number): Promise<{ partition: number; offset: string }> {
  const { value, headers } = policyV2.encode(policy)
  const [meta] = await producer.send({
    topic: policyV2.topic,
    messages: [{ key: policy.lineId, value, headers, partition }],
  })
  return { partition: meta!.partition, offset: meta!.baseOffset! }
}

/** Dead letters of the edge's policies group about the record at `at`, read to the topic's end. */
async function deadLetters(at: { partition: number; offset: string }): Promise<number> {
  const admin = client.admin()
  await admin.connect()
  const ends = new Map((await admin.fetchTopicOffsets(dlqV1.topic)).map((e) => [e.partition, BigInt(e.high)]))
  await admin.disconnect()
  const done = new Set([...ends].filter(([, high]) => high === 0n).map(([p]) => p))
  let copies = 0
  const reader = client.consumer({ groupId: `dlq-reader-${Math.random()}`, maxWaitTimeInMs: 100 })
  await reader.connect()
  await reader.subscribe({ topics: [dlqV1.topic], fromBeginning: true })
  await reader.run({
    eachMessage: async ({ partition: p, message }) => {
      const d = dlqV1.decode(message.value, message.headers)
      if (
        d.consumerGroup === policiesGroup &&
        d.original.topic === policyV2.topic &&
        d.original.partition === at.partition &&
        d.original.offset === at.offset
      ) {
        expect(d.error).toMatchObject({ code: 'EDGE_POLICY_UNRUNNABLE', retriable: false })
        copies++
      }
      if (BigInt(message.offset) + 1n >= (ends.get(p) ?? 0n)) done.add(p)
    },
  })
  try {
    await waitUntil(() => done.size === ends.size, 30_000, 'the dead-letter topic read to its end')
  } finally {
    await reader.disconnect()
  }
  return copies
}

const refusalsSince = (mark: number, version: number) =>
  lines
    .slice(mark)
    .filter((l) => l.msg === 'policy refused; the line keeps its previous policy' && l.version === version)
const policyJoins = () => lines.filter((l) => l.msg === 'joined group' && l.groupId === policiesGroup).length

/**
 * Publishes a runnable policy for line-b on the unrunnable record's partition and waits until the
 * edge applied it: the edge's replay since its last join then went past the unrunnable record.
 */
async function replayedPast(at: { partition: number }, version: number): Promise<void> {
  await publish(testPolicy({ lineId: 'line-b', version }), at.partition)
  await waitUntil(
    () => edge!.policies.get('line-b')?.version === version || undefined,
    60_000,
    `line-b's policy version ${version}`,
  )
}

describe('a policy version the edge cannot run, replayed at every join', () => {
  it('is logged once per process, dead-lettered once across rejoins and restarts, and the line keeps its policy', async () => {
    const env = { EDGE_LINES: 'plant-1/line-a,plant-1/line-b' }
    edge = await startTestEdge(broker.brokers, env, dataDir, log)
    await publish(testPolicy({ version: 1 }))
    const unrunnable = await publish(
      testPolicy({ version: 2, edge: { model: 'edge-vit-not-here', budget: 16, ladder: [] } }),
    )
    await waitUntil(() => refusalsSince(0, 2).length > 0 || undefined, 60_000, 'the refusal of version 2')
    expect(edge.policies.get('line-a')?.version).toBe(1)

    // Another member joins the edge's policies group and leaves: the edge rejoins twice and
    // replays the topic from the start each time.
    const joinsBefore = policyJoins()
    const other = client.consumer({ groupId: policiesGroup, heartbeatInterval: 300 })
    let otherJoined = false
    other.on(other.events.GROUP_JOIN, () => {
      otherJoined = true
    })
    await other.connect()
    await other.subscribe({ topics: [policyV2.topic] })
    await other.run({ eachMessage: async () => undefined })
    await waitUntil(() => otherJoined || undefined, 60_000, 'the other member to join')
    await other.disconnect()
    await waitUntil(() => policyJoins() >= joinsBefore + 2 || undefined, 60_000, 'the edge to rejoin twice')
    await replayedPast(unrunnable, 1)

    expect(refusalsSince(0, 2)).toHaveLength(1)
    expect(await deadLetters(unrunnable)).toBe(1)
    expect(edge.policies.get('line-a')?.version).toBe(1)

    // A restart: a new process reports the refusal once more (its own log), but the record is
    // not dead-lettered again.
    await edge.close()
    const mark = lines.length
    edge = await startTestEdge(broker.brokers, env, dataDir, log)
    expect(edge.policies.get('line-a')?.version).toBe(1)
    await replayedPast(unrunnable, 2)

    expect(refusalsSince(mark, 2)).toHaveLength(1)
    expect(await deadLetters(unrunnable)).toBe(1)
    expect(edge.policies.get('line-a')?.version).toBe(1)
  }, 240_000)
})
