import { spawn } from 'node:child_process'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { partitionFor, startTestBroker, type TestBroker } from './broker-fixture.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

let tb: TestBroker
let kafka: Kafka

beforeAll(async () => {
  tb = await startTestBroker()
  kafka = new Kafka({ brokers: [tb.broker.bootstrap], clientId: 'kcat-it', logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({
    topics: [
      { topic: 'from-kcat', numPartitions: 3 },
      { topic: 'from-kafkajs', numPartitions: 3 },
      { topic: 'kcat-group', numPartitions: 2 },
    ],
  })
  await admin.disconnect()
})

afterAll(async () => {
  await tb.close()
})

/** Runs kcat (librdkafka) against the test broker; resolves with stdout. */
function kcat(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-b', tb.broker.bootstrap, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    child.stderr.on('data', (d) => {
      err += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    // Without kcat installed spawn emits 'error' (ENOENT) and may never emit 'close': fail fast then.
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(new Error(`kcat could not start (${e.message}); .ci/run installs it from Debian`))
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(out)
      else reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${err}`))
    })
    child.stdin.end(input ?? '')
  })
}

const lines = (s: string) => s.split('\n').filter(Boolean)

describe('kcat (librdkafka) against the broker', () => {
  it('produces keyed messages with headers that kafkajs reads in the murmur2 partitions', async () => {
    const input = Array.from({ length: 30 }, (_, i) => `key-${i}|value-${i}`).join('\n')
    await kcat(
      ['-P', '-t', 'from-kcat', '-K', '|', '-H', 'source=kcat', '-X', 'partitioner=murmur2_random'],
      input,
    )
    const consumer = kafka.consumer({ groupId: 'read-kcat', maxWaitTimeInMs: 100 })
    await consumer.connect()
    await consumer.subscribe({ topic: 'from-kcat', fromBeginning: true })
    const got: { key: string; value: string; partition: number; source: string }[] = []
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          got.push({
            key: message.key!.toString(),
            value: message.value!.toString(),
            partition,
            source: String(message.headers?.source),
          })
          if (got.length === 30) resolve()
        },
      })
    })
    await consumer.disconnect()
    for (const g of got) {
      expect(g.value).toBe(g.key.replace('key-', 'value-'))
      expect(g.source).toBe('kcat')
      expect(g.partition).toBe(partitionFor(g.key, 3))
    }
  })

  it('consumes what kafkajs produced, with keys, headers and partitions intact', async () => {
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({
      topic: 'from-kafkajs',
      messages: Array.from({ length: 20 }, (_, i) => ({
        key: `k${i}`,
        value: `v${i}`,
        headers: { n: String(i) },
      })),
    })
    await producer.disconnect()
    const out = await kcat(['-C', '-t', 'from-kafkajs', '-o', 'beginning', '-e', '-q', '-f', '%p|%k|%s|%h\n'])
    const rows = lines(out).map((l) => l.split('|'))
    expect(rows).toHaveLength(20)
    for (const [partition, key, value, headers] of rows) {
      expect(value).toBe(key!.replace('k', 'v'))
      expect(headers).toBe(`n=${key!.slice(1)}`)
      expect(Number(partition)).toBe(partitionFor(key!, 3))
    }
  })

  it('keeps consumer-group offsets across kcat -G runs and shows them to kafkajs admin', async () => {
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({
      topic: 'kcat-group',
      messages: Array.from({ length: 10 }, (_, i) => ({ key: `a${i}`, value: `first-${i}` })),
    })
    const run = () =>
      kcat([
        '-G',
        'kcat-readers',
        'kcat-group',
        '-X',
        'auto.offset.reset=earliest',
        '-e',
        '-q',
        '-f',
        '%s\n',
        '-X',
        'session.timeout.ms=6000',
      ])
    const first = lines(await run())
    expect(first.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `first-${i}`).sort())

    await producer.send({
      topic: 'kcat-group',
      messages: Array.from({ length: 5 }, (_, i) => ({ key: `b${i}`, value: `second-${i}` })),
    })
    await producer.disconnect()
    const second = lines(await run())
    expect(second.sort()).toEqual(Array.from({ length: 5 }, (_, i) => `second-${i}`).sort())

    const admin = kafka.admin()
    await admin.connect()
    const offsets = await admin.fetchOffsets({ groupId: 'kcat-readers', topics: ['kcat-group'] })
    expect(offsets[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0)).toBe(15)
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain('kcat-readers')
    await admin.disconnect()
  })
})
