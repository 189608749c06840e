import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CompressionCodecs, CompressionTypes, Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Compression, codecName, decompress } from '../../../../services/broker/src/protocol/compression.ts'
import { compressionOf, readBatchHeader } from '../../../../services/broker/src/protocol/record-batch.ts'
import { startTestBroker, type TestBroker, waitFor } from './broker-fixture.ts'
import { lines, requireTool, runTool } from './external-clients.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

let tb: TestBroker
let kafka: Kafka

// kafkajs ships gzip only; these decode-only codecs let it read what kcat compressed.
const decodeOnly = (codec: number) => () => ({
  compress: async () => {
    throw new Error(`${codecName(codec)} compression is not registered for producing`)
  },
  decompress: async (buf: Buffer) => decompress(codec, buf),
})
CompressionCodecs[CompressionTypes.Snappy] = decodeOnly(Compression.snappy)
CompressionCodecs[CompressionTypes.LZ4] = decodeOnly(Compression.lz4)
CompressionCodecs[CompressionTypes.ZSTD] = decodeOnly(Compression.zstd)

const codecs = ['gzip', 'snappy', 'lz4', 'zstd'] as const
const COUNT = 40
const input = Array.from({ length: COUNT }, (_, i) => `k${i}|${`payload-${i} `.repeat(20)}`).join('\n')

beforeAll(async () => {
  requireTool('kcat', ['-V'], 'Debian package kcat')
  tb = await startTestBroker()
  kafka = new Kafka({ brokers: [tb.broker.bootstrap], clientId: 'codecs-it', logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: codecs.map((c) => ({ topic: `kcat-${c}`, numPartitions: 1 })) })
  await admin.disconnect()
})

afterAll(async () => {
  await tb?.close()
})

/** The codec of every batch in partition 0's segments, read from disk. */
function storedCodecs(topic: string): number[] {
  const dir = join(tb.broker.core.config.dataDir, 'topics', topic, '0')
  const out: number[] = []
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.log'))) {
    const log = readFileSync(join(dir, f))
    for (let pos = 0; pos < log.length; ) {
      const h = readBatchHeader(log, pos)
      out.push(compressionOf(h.attributes))
      pos += h.size
    }
  }
  return out
}

describe('kcat (librdkafka 2.0.2) with every codec', () => {
  for (const codec of codecs) {
    it(`produces ${codec} batches that are stored ${codec}-compressed and read back by kcat and kafkajs`, async () => {
      const topic = `kcat-${codec}`
      await runTool(
        'kcat',
        [
          '-b',
          tb.broker.bootstrap,
          '-P',
          '-t',
          topic,
          '-p',
          '0',
          '-K',
          '|',
          '-z',
          codec,
          '-X',
          'linger.ms=50',
        ],
        input,
      )
      const stored = storedCodecs(topic)
      expect(stored.length).toBeGreaterThan(0)
      expect(stored.map(codecName)).toEqual(stored.map(() => codec))

      const out = await runTool('kcat', [
        '-b',
        tb.broker.bootstrap,
        '-C',
        '-t',
        topic,
        '-e',
        '-q',
        '-f',
        '%k|%s\n',
      ])
      expect(lines(out)).toEqual(lines(input))

      const consumer = kafka.consumer({ groupId: `read-${codec}`, maxWaitTimeInMs: 100 })
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      const got: string[] = []
      await consumer.run({
        eachMessage: async ({ message }) => {
          got.push(`${message.key}|${message.value}`)
        },
      })
      await waitFor(() => got.length >= COUNT, 20_000, `${COUNT} ${codec} messages in kafkajs`)
      await consumer.disconnect()
      expect(got).toEqual(lines(input))
    })
  }
})
