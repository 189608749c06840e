import type { Kafka } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../../lib/log/index.ts'
import { ensureTopics, verdictsTopicV2 } from '../../../../../lib/messaging/index.ts'
import { VerdictLedger } from '../../../../../services/cloud/src/dedup/verdict-ledger.ts'
import { startTestBroker, type TestBroker } from '../../broker/broker-fixture.ts'
import { testKafka, until } from '../cloud-fixture.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const logger = createLogger('ledger-test', 'silent')
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const record = (n: number, ageMs: number) => ({
  key: `line-${n}`,
  value: JSON.stringify({ inspectionId: id(n), lineId: `line-${n}` }),
  timestamp: String(Date.now() - ageMs),
})

let broker: TestBroker
let kafka: Kafka

beforeAll(async () => {
  broker = await startTestBroker()
  kafka = testKafka([broker.broker.bootstrap], logger)
  const admin = kafka.admin()
  await admin.connect()
  await ensureTopics(admin, { logger })
  await admin.disconnect()
})

afterAll(async () => {
  await broker?.close()
})

describe('VerdictLedger over the embedded broker', () => {
  it('reads the verdicts of its window at start, then every new one up to the end offsets at each sync', async () => {
    const producer = kafka.producer()
    await producer.connect()
    const hour = 3_600_000
    await producer.send({
      topic: verdictsTopicV2,
      messages: [record(1, 3 * hour), record(2, 2 * hour), record(3, 10_000), record(4, 1000), record(5, 0)],
    })
    const ledger = await VerdictLedger.start({
      kafka,
      groupId: 'ledger-test',
      logger,
      maxEntries: 100,
      syncTimeoutMs: 20_000,
      windowMs: hour,
    })
    try {
      await until(() => ledger.isReady(), 'the ledger to join and seek')
      await ledger.sync()
      expect([1, 2, 3, 4, 5].map((n) => ledger.has(id(n)))).toEqual([false, false, true, true, true])
      await producer.send({ topic: verdictsTopicV2, messages: [record(6, 0), record(7, 0)] })
      await ledger.sync()
      expect(ledger.has(id(6)) && ledger.has(id(7))).toBe(true)
    } finally {
      await ledger.close()
      await producer.disconnect()
    }
  })

  it('forgets the oldest ids beyond maxEntries', async () => {
    const ledger = await VerdictLedger.start({
      kafka,
      groupId: 'ledger-test-small',
      logger,
      maxEntries: 2,
      syncTimeoutMs: 20_000,
      windowMs: 60_000,
    })
    try {
      ledger.record('a')
      ledger.record('b')
      ledger.record('c')
      expect([ledger.has('a'), ledger.has('b'), ledger.has('c'), ledger.size]).toEqual([false, true, true, 2])
    } finally {
      await ledger.close()
    }
  })
})
