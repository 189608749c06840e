/**
 * Issue 14, from the drill: after an edge kill -9, the edge's consumer groups still hold the dead
 * member until its session times out (30 s). The restarted edge published nothing until its groups
 * rejoined (the Kafka link waited for both joins before handing the relay its producer), so its
 * outbox filled and ingest answered EDGE_OUTBOX_FULL for ~25 s with the broker up. Publishing must
 * not wait for any group: the edge decides with its last known policy and its results go out while
 * the groups wait. And the bad record on the policies topic, dead-lettered by the first process,
 * is not dead-lettered again by the second (the ledger in the node's directory).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dlqV1, policyV2 } from '../../../../lib/messaging/index.ts'
import { startTestBroker, type TestBroker } from '../../lib/messaging/embedded-broker.ts'
import { type EdgeChild, killedEdge, spawnEdge } from './edge-child.ts'
import {
  images,
  post,
  startTestEdge,
  type TestEdge,
  testKafka,
  testPolicy,
  waitUntil,
} from './edge-fixture.ts'

/** The edge consumers' session timeout (lib/messaging/consumer.ts default), ms. */
const sessionTimeoutMs = 30_000
const policiesGroup = 'tokenline-edge-edge-1-policies'

let broker: TestBroker
let kafka: Awaited<ReturnType<typeof testKafka>>
let first: EdgeChild | undefined
let second: TestEdge | undefined
const dataDir = mkdtempSync(join(tmpdir(), 'tokenline-edge-restart-'))

beforeAll(async () => {
  broker = await startTestBroker()
  kafka = await testKafka(broker.brokers)
}, 60_000)

afterAll(async () => {
  await killedEdge(first)
  await second?.close()
  await kafka?.close()
  await broker?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

/** Dead letters of `groupId` about the record at `partition`/`offset` of the policies topic, read to the topic's end. */
async function policyDeadLetters(partition: number, offset: string): Promise<number> {
  const client = new Kafka({ brokers: broker.brokers, clientId: 'dlq-reader', logLevel: logLevel.NOTHING })
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
        d.original.partition === partition &&
        d.original.offset === offset
      )
        copies++
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

describe('an edge restarted after kill -9, while its dead member still holds its groups', () => {
  it('publishes its first result well before the session timeout, decides throughout, and does not dead-letter the same policy record again', async () => {
    mkdirSync(join(dataDir, 'edge-edge-1'), { recursive: true })
    writeFileSync(join(dataDir, 'edge-edge-1', 'policies.json'), JSON.stringify([testPolicy({ version: 1 })]))
    const client = new Kafka({ brokers: broker.brokers, clientId: 'bad-policy', logLevel: logLevel.NOTHING })
    const raw = client.producer()
    await raw.connect()
    const [bad] = await raw.send({
      topic: policyV2.topic,
      messages: [{ key: 'line-a', value: Buffer.from('{"not":"a policy"}') }],
    })
    await raw.disconnect()

    first = await spawnEdge({ TOKENLINE_DATA_DIR: dataDir, KAFKA_BROKERS: broker.brokers.join(',') })
    await waitUntil(
      () => first!.lines.filter((l) => l.msg === 'joined group').length >= 2 || undefined,
      60_000,
      'the first edge to join its two groups',
    )
    await waitUntil(
      () => first!.lines.some((l) => l.msg === 'message dead-lettered') || undefined,
      30_000,
      'the first edge to dead-letter the bad policy record',
    )
    await killedEdge(first)

    const started = performance.now()
    second = await startTestEdge(broker.brokers, {}, dataDir)
    const answer = await post(second, images(1, 7_500_000)[0]!)
    expect(answer.status).toBe(201)
    expect(answer.body).toMatchObject({ policyVersion: 1, status: 'accepted' })
    const id = answer.body.inspectionId as string
    await waitUntil(() => kafka.results.get(id), sessionTimeoutMs + 30_000, 'the first result on Kafka')
    const firstPublishedMs = performance.now() - started
    console.info(`edge restart → first result published: ${Math.round(firstPublishedMs)} ms`)
    expect(firstPublishedMs).toBeLessThan(sessionTimeoutMs / 2)

    // The groups rejoin once the dead member's session expires: a new policy then arrives, after
    // the replay went past the bad record.
    await kafka.publishPolicy(testPolicy({ version: 2 }))
    await waitUntil(
      () => second!.policies.get('line-a')?.version === 2 || undefined,
      sessionTimeoutMs + 30_000,
      'policy v2 after the groups rejoined',
    )
    expect(await policyDeadLetters(bad!.partition, bad!.baseOffset!)).toBe(1)
  }, 180_000)
})
