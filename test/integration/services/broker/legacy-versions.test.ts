import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Reader } from '../../../../services/broker/src/protocol/reader.ts'
import { Writer } from '../../../../services/broker/src/protocol/writer.ts'
import { startTestBroker, type TestBroker, waitFor } from './broker-fixture.ts'
import { lines, rawRequest, requireTool, runTool } from './external-clients.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

let tb: TestBroker

beforeAll(async () => {
  requireTool('kcat', ['-V'], 'Debian package kcat')
  tb = await startTestBroker()
})

afterAll(async () => {
  await tb?.close()
})

/** The API versions the broker has served so far, as `Name vN` (from its requests_total counter). */
async function served(): Promise<Set<string>> {
  const m = await tb.broker.core.metrics!.requests.get()
  return new Set(m.values.map((v) => `${v.labels.api} v${v.labels.version}`))
}

/**
 * librdkafka without ApiVersions, told the broker is an old release: it then speaks exactly that
 * release's versions (0.9.0: Produce/Fetch v0-v1 with magic 0 message sets, Metadata v0,
 * ListOffsets v0, OffsetCommit v2, JoinGroup/SyncGroup/Heartbeat v0; 0.8.2: no groups at all).
 */
const legacy = (release: string) => [
  '-X',
  'api.version.request=false',
  '-X',
  `broker.version.fallback=${release}`,
]
const kcat = (args: string[], input?: string) => runTool('kcat', ['-b', tb.broker.bootstrap, ...args], input)

describe('old protocol versions', () => {
  it('answers Metadata v0 (the probe old clients send) with brokers and auto-created topics', async () => {
    const w = new Writer().array(['meta-v0'], (w, t) => w.string(t))
    const r = new Reader(await rawRequest(tb.broker.port, 3, 0, w.toBuffer()))
    const brokers = r.array((r) => ({ id: r.int32(), host: r.string(), port: r.int32() }))
    expect(brokers).toEqual([{ id: 0, host: '127.0.0.1', port: tb.broker.port }])
    const topics = r.array((r) => ({
      error: r.int16(),
      name: r.string(),
      partitions: r.array((r) => {
        const p = { error: r.int16(), index: r.int32(), leader: r.int32() }
        r.array((r) => r.int32())
        r.array((r) => r.int32())
        return p
      }),
    }))
    expect(topics).toEqual([
      { error: 0, name: 'meta-v0', partitions: [0, 1, 2].map((index) => ({ error: 0, index, leader: 0 })) },
    ])
    expect(r.remaining).toBe(0)
  })

  for (const [release, codec] of [
    ['0.9.0', 'gzip'],
    ['0.8.2', 'snappy'],
  ] as const) {
    it(`serves librdkafka speaking ${release} (magic 0 message sets, ${codec} wrappers) and kafkajs reads the up-converted batches`, async () => {
      const topic = `legacy-${release.replaceAll('.', '-')}`
      const input = Array.from({ length: 12 }, (_, i) => `k${i}|${`v${i} `.repeat(10)}`).join('\n')
      await kcat([...legacy(release), '-P', '-t', topic, '-p', '0', '-K', '|', '-z', codec], input)
      const out = await kcat([
        ...legacy(release),
        '-C',
        '-t',
        topic,
        '-p',
        '0',
        '-e',
        '-q',
        '-f',
        '%o %k|%s\n',
      ])
      expect(lines(out)).toEqual(lines(input).map((l, i) => `${i} ${l}`))

      const kafka = new Kafka({
        brokers: [tb.broker.bootstrap],
        clientId: 'legacy-it',
        logLevel: logLevel.NOTHING,
      })
      const consumer = kafka.consumer({ groupId: `kafkajs-${topic}`, maxWaitTimeInMs: 100 })
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      const got: string[] = []
      await consumer.run({
        eachMessage: async ({ message }) => {
          got.push(`${message.key}|${message.value}`)
        },
      })
      await waitFor(() => got.length >= 12, 20_000, '12 messages in kafkajs')
      await consumer.disconnect()
      expect(got).toEqual(lines(input))
    })
  }

  it('really spoke the old versions (the broker counted Produce v0/v1, Fetch v0/v1, Metadata v0, ListOffsets v0)', async () => {
    const s = await served()
    for (const v of ['Produce v0', 'Produce v1', 'Fetch v0', 'Fetch v1', 'Metadata v0', 'ListOffsets v0'])
      expect(s, v).toContain(v)
  })

  it('runs a 0.9.0-style balanced consumer group (JoinGroup v0, OffsetCommit v2, OffsetFetch v1) that resumes after its commit', async () => {
    const topic = 'legacy-group'
    const send = (from: number, n: number) =>
      kcat(
        [...legacy('0.9.0'), '-P', '-t', topic],
        Array.from({ length: n }, (_, i) => `m${from + i}`).join('\n'),
      )
    const readGroup = async () =>
      lines(
        await kcat([
          ...legacy('0.9.0'),
          '-G',
          'legacy-readers',
          topic,
          '-X',
          'auto.offset.reset=earliest',
          '-X',
          'session.timeout.ms=6000',
          '-e',
          '-q',
          '-f',
          '%s\n',
        ]),
      ).sort()
    await send(0, 6)
    expect(await readGroup()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5'])
    await send(6, 3)
    expect(await readGroup()).toEqual(['m6', 'm7', 'm8'])
    const s = await served()
    for (const v of [
      'JoinGroup v0',
      'SyncGroup v0',
      'OffsetCommit v2',
      'OffsetFetch v1',
      'FindCoordinator v0',
    ])
      expect(s, v).toContain(v)
  })
})
