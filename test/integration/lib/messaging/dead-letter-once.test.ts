/**
 * Issue 14: a bad record on a compacted state topic read with `replayFromStart` (the edge's
 * policies) was dead-lettered again at every group join: every rebalance and every restart
 * added a copy to tokenline.dlq.v1. A subscription now dead-letters a (group, topic, partition,
 * offset, value) once; with a FileDeadLetterLedger, once across restarts too.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Kafka } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log/index.ts'
import {
  type DeadLetterLedger,
  dlqV1,
  FileDeadLetterLedger,
  type MessageProducer,
  policyV1,
  type Subscription,
  subscribe,
} from '../../../../lib/messaging/index.ts'
import { policy } from '../../../unit/lib/messaging/contracts/fixtures.ts'
import { type BrokerFixture, startBrokerFixture } from './broker-fixture.ts'
import type { TestBroker } from './embedded-broker.ts'

const logger = createLogger('dead-letter-once-test', 'silent')
let fixture: BrokerFixture
let broker: TestBroker
let kafka: Kafka
let producer: MessageProducer
const dir = mkdtempSync(join(tmpdir(), 'tokenline-dead-letter-once-'))

beforeAll(async () => {
  fixture = await startBrokerFixture({ clientId: 'dead-letter-once-test', logger })
  ;({ broker, kafka, producer } = fixture)
})

afterAll(async () => {
  await fixture?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function until(condition: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

/** Dead letters of `groupId` about `topic`/`partition`/`offset`, read to the topic's end. */
async function deadLetterCopies(groupId: string, topic: string, partition: number, offset: string) {
  const admin = kafka.admin()
  await admin.connect()
  const ends = await admin.fetchTopicOffsets(dlqV1.topic)
  await admin.disconnect()
  const left = new Map(ends.map((e) => [e.partition, BigInt(e.high)]))
  const done = new Set<number>([...left].filter(([, high]) => high === 0n).map(([p]) => p))
  let copies = 0
  const reader = kafka.consumer({ groupId: `dlq-reader-${Math.random()}`, maxWaitTimeInMs: 100 })
  await reader.connect()
  await reader.subscribe({ topics: [dlqV1.topic], fromBeginning: true })
  await reader.run({
    eachMessage: async ({ partition: p, message }) => {
      const d = dlqV1.decode(message.value, message.headers)
      const o = d.original
      if (
        d.consumerGroup === groupId &&
        o.topic === topic &&
        o.partition === partition &&
        o.offset === offset
      )
        copies++
      if (BigInt(message.offset) + 1n >= (left.get(p) ?? 0n)) done.add(p)
    },
  })
  try {
    await until(() => done.size === left.size, 'the dead-letter topic read to its end')
  } finally {
    await reader.disconnect()
  }
  return copies
}

describe('a bad record on a compacted topic replayed at every join', () => {
  it('is dead-lettered once per process across rebalances, and once across restarts with a file ledger', async () => {
    const groupId = 'dead-letter-once'
    const lineId = 'line-dead-letter-once'
    const raw = kafka.producer()
    await raw.connect()
    const [bad] = await raw.send({
      topic: policyV1.topic,
      messages: [{ key: lineId, value: Buffer.from('{"not":"a policy"}') }],
    })
    await raw.disconnect()
    const good = policy({ lineId, version: 1 })
    await producer.publish(policyV1, lineId, good)
    const badAt = { partition: bad!.partition, offset: bad!.baseOffset! }

    const file = join(dir, 'dead-lettered.json')
    let seen = 0
    const member = (ledger?: DeadLetterLedger) =>
      subscribe({
        kafka,
        brokers: broker.brokers,
        logger,
        groupId,
        contract: policyV1,
        deadLetter: producer,
        replayFromStart: true,
        heartbeatIntervalMs: 300,
        deadLetterLedger: ledger,
        handler: async (p) => {
          if (p.lineId === lineId) seen++
        },
      })

    // One process, three joins: the first, another member arriving (which may take the
    // partition), that member leaving (the partition comes back and is replayed).
    let subscription: Subscription = await member(await FileDeadLetterLedger.open(file, logger))
    await until(() => seen >= 1, 'the good policy')
    const other = kafka.consumer({ groupId, heartbeatInterval: 300 })
    let otherJoined = false
    other.on(other.events.GROUP_JOIN, () => {
      otherJoined = true
    })
    await other.connect()
    await other.subscribe({ topics: [policyV1.topic] })
    await other.run({ eachMessage: async () => undefined })
    await until(() => otherJoined, 'the other member to join')
    const before = seen
    await other.disconnect()
    await until(() => seen > before, 'the replay after the other member left')
    expect(await deadLetterCopies(groupId, policyV1.topic, badAt.partition, badAt.offset)).toBe(1)

    // A restart with the ledger file: still one.
    await subscription.close()
    seen = 0
    subscription = await member(await FileDeadLetterLedger.open(file, logger))
    await until(() => seen >= 1, 'the replay after a restart')
    expect(await deadLetterCopies(groupId, policyV1.topic, badAt.partition, badAt.offset)).toBe(1)

    // A restart without it (the default, in memory) dead-letters it again: the file is what remembers.
    await subscription.close()
    seen = 0
    subscription = await member()
    await until(() => seen >= 1, 'the replay after a restart without the file')
    await subscription.close()
    expect(await deadLetterCopies(groupId, policyV1.topic, badAt.partition, badAt.offset)).toBe(2)
  }, 120_000)
})
