import { CompressionTypes, Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Reader } from '../../../../services/broker/src/protocol/reader.ts'
import { Writer } from '../../../../services/broker/src/protocol/writer.ts'
import { startTestBroker, type TestBroker } from './broker-fixture.ts'
import { lines, rawRequest, requireTool, runTool } from './external-clients.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

let tb: TestBroker
let kafka: Kafka
const T0 = 1_700_000_000_000
/** Ten records at T0, T0+1000, ... T0+9000 ms, sent as one gzip batch: lookups must inflate it. */
const TOPIC = 'by-time'

beforeAll(async () => {
  requireTool('kcat', ['-V'], 'Debian package kcat')
  tb = await startTestBroker()
  kafka = new Kafka({ brokers: [tb.broker.bootstrap], clientId: 'offsets-it', logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({
    topic: TOPIC,
    compression: CompressionTypes.GZIP,
    messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, timestamp: String(T0 + i * 1000) })),
  })
  await producer.disconnect()
})

afterAll(async () => {
  await tb?.close()
})

/** ListOffsets v1 for partition 0 of TOPIC: the raw (timestamp, offset) pair the broker answers. */
async function listOffsetsV1(
  timestamp: number,
): Promise<{ errorCode: number; timestamp: number; offset: number }> {
  const w = new Writer().int32(-1)
  w.array([TOPIC], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int64(timestamp)))
  const r = new Reader(await rawRequest(tb.broker.port, 2, 1, w.toBuffer()))
  r.int32()
  r.string()
  r.int32()
  r.int32()
  return { errorCode: r.int16(), timestamp: r.int64(), offset: r.int64() }
}

const kcatQuery = async (timestamp: number) => {
  const out = await runTool('kcat', ['-b', tb.broker.bootstrap, '-Q', '-t', `${TOPIC}:0:${timestamp}`])
  return lines(out)
}

describe('ListOffsets by timestamp, with Kafka semantics', () => {
  it('answers the first record at or after the timestamp, with that record’s timestamp (raw v1)', async () => {
    expect(await listOffsetsV1(T0 + 2500)).toEqual({ errorCode: 0, timestamp: T0 + 3000, offset: 3 })
    expect(await listOffsetsV1(T0 + 3000)).toEqual({ errorCode: 0, timestamp: T0 + 3000, offset: 3 })
    expect(await listOffsetsV1(0)).toEqual({ errorCode: 0, timestamp: T0, offset: 0 })
  })

  it('answers -1 and timestamp -1 past the last record; latest and earliest carry timestamp -1', async () => {
    expect(await listOffsetsV1(9_999_999_999_999)).toEqual({ errorCode: 0, timestamp: -1, offset: -1 })
    expect(await listOffsetsV1(T0 + 9001)).toEqual({ errorCode: 0, timestamp: -1, offset: -1 })
    expect(await listOffsetsV1(-1)).toEqual({ errorCode: 0, timestamp: -1, offset: 10 })
    expect(await listOffsetsV1(-2)).toEqual({ errorCode: 0, timestamp: -1, offset: 0 })
  })

  it('gives kafkajs admin the offset by time (kafkajs itself maps -1 to the high watermark)', async () => {
    const admin = kafka.admin()
    await admin.connect()
    expect((await admin.fetchTopicOffsetsByTimestamp(TOPIC, T0 + 4200))[0]!.offset).toBe('5')
    expect((await admin.fetchTopicOffsetsByTimestamp(TOPIC, 9_999_999_999_999))[0]!.offset).toBe('10')
    await admin.disconnect()
  })

  it('answers kcat -Q (librdkafka, ListOffsets v1+) with the offset, and -1 past the end', async () => {
    expect(await kcatQuery(T0 + 6500)).toEqual([`${TOPIC} [0] offset 7`])
    expect(await kcatQuery(9_999_999_999_999)).toEqual([`${TOPIC} [0] offset -1`])
  })
})
