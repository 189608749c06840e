import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestBroker, type TestBroker, waitFor } from './broker-fixture.ts'
import { requireTool, runTool } from './external-clients.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

const PYTHON = '/usr/bin/python3'
const SCRIPT = join(import.meta.dirname, 'confluent-kafka-client.py')

type Seen = { key: string; value: string; headers: Record<string, string> }
type Report = {
  version: string
  librdkafka: string
  created: string[]
  first: Seen[]
  second: Seen[]
  offset_at_t0_plus_4500: number
  offset_past_end: number
  committed_total: number
}

let tb: TestBroker
let report: Report

beforeAll(async () => {
  requireTool(PYTHON, ['-c', 'import confluent_kafka'], 'Debian package python3-confluent-kafka')
  tb = await startTestBroker()
  report = JSON.parse(await runTool(PYTHON, [SCRIPT, tb.broker.bootstrap], '', 120_000)) as Report
}, 150_000)

afterAll(async () => {
  await tb?.close()
})

describe('confluent-kafka-python (a second language, librdkafka underneath) against the broker', () => {
  it('creates topics through the admin client', () => {
    expect(report.created).toEqual(['py-events', 'py-times'])
  })

  it('produces lz4 batches with keys and headers; a consumer group commits and a new member resumes after the commit', () => {
    expect(report.first).toHaveLength(10)
    expect(report.second).toHaveLength(10)
    const all = [...report.first, ...report.second]
    expect(all.map((m) => m.key).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `key-${i}`).sort())
    for (const m of all) {
      expect(m.value).toBe(m.key.replace('key-', 'value-'))
      expect(m.headers.n).toBe(m.key.slice(4))
    }
    expect(report.committed_total).toBe(20)
  })

  it('looks offsets up by timestamp with Kafka semantics (-1 past the end)', () => {
    expect(report.offset_at_t0_plus_4500).toBe(5)
    expect(report.offset_past_end).toBe(-1)
  })

  it('hands what it produced to kafkajs with its timestamps', async () => {
    const kafka = new Kafka({
      brokers: [tb.broker.bootstrap],
      clientId: 'py-check',
      logLevel: logLevel.NOTHING,
    })
    const consumer = kafka.consumer({ groupId: 'kafkajs-reads-python', maxWaitTimeInMs: 100 })
    await consumer.connect()
    await consumer.subscribe({ topic: 'py-times', fromBeginning: true })
    const got: { value: string; timestamp: string }[] = []
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push({ value: String(message.value), timestamp: message.timestamp })
      },
    })
    await waitFor(() => got.length >= 10, 20_000, '10 messages from python')
    await consumer.disconnect()
    expect(got.map((g) => g.timestamp)).toEqual(
      Array.from({ length: 10 }, (_, i) => String(1_700_000_000_000 + i * 1000)),
    )
  })
})
