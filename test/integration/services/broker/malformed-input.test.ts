import { connect, type Socket } from 'node:net'
import { crc32c } from '@node-rs/crc32'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeBatch } from '../../../../services/broker/src/protocol/record-batch.ts'
import { Writer } from '../../../../services/broker/src/protocol/writer.ts'
import { startTestBroker, type TestBroker } from './broker-fixture.ts'

let tb: TestBroker
let kafka: Kafka

beforeAll(async () => {
  tb = await startTestBroker({ BROKER_FRAME_TIMEOUT_MS: '300', BROKER_MAX_REQUEST_BYTES: '65536' })
  kafka = new Kafka({ brokers: [tb.broker.bootstrap], clientId: 'bystander', logLevel: logLevel.NOTHING })
})

afterAll(async () => {
  await tb.close()
})

type Raw = { socket: Socket; frames: Buffer[]; closed: Promise<void> }

function open(): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(tb.broker.port, '127.0.0.1')
    const frames: Buffer[] = []
    let buf = Buffer.alloc(0)
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d])
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        frames.push(buf.subarray(4, 4 + buf.readInt32BE(0)))
        buf = buf.subarray(4 + buf.readInt32BE(0))
      }
    })
    const closed = new Promise<void>((r) => socket.once('close', () => r()))
    socket.once('connect', () => resolve({ socket, frames, closed }))
    socket.once('error', reject)
  })
}

/** A request frame: size, api_key, api_version, correlation_id, client_id, body. */
function frame(
  apiKey: number,
  version: number,
  correlationId: number,
  body: Buffer = Buffer.alloc(0),
): Buffer {
  const clientId = Buffer.from('raw')
  const head = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length)
  head.writeInt32BE(head.length - 4 + body.length, 0)
  head.writeInt16BE(apiKey, 4)
  head.writeInt16BE(version, 6)
  head.writeInt32BE(correlationId, 8)
  head.writeInt16BE(clientId.length, 12)
  clientId.copy(head, 14)
  return Buffer.concat([head, body])
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)),
  ])

async function waitFrames(raw: Raw, n: number): Promise<void> {
  const deadline = Date.now() + 5000
  while (raw.frames.length < n) {
    if (Date.now() > deadline) throw new Error(`expected ${n} response frames, got ${raw.frames.length}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function othersStillServed(): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: `alive-${Date.now()}`, numPartitions: 1 }] })
  expect((await admin.listTopics()).length).toBeGreaterThan(0)
  await admin.disconnect()
}

describe('bad input on the wire', () => {
  it('closes a connection that sends non-Kafka bytes (an HTTP request) and keeps serving others', async () => {
    const raw = await open()
    raw.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await within(raw.closed, 5000, 'close')
    await othersStillServed()
  })

  it('closes a connection announcing a frame over the request size limit', async () => {
    const raw = await open()
    const size = Buffer.alloc(4)
    size.writeInt32BE(0x7fffffff, 0)
    raw.socket.write(size)
    await within(raw.closed, 5000, 'close')
    await othersStillServed()
  })

  it('closes a connection that sends half a frame and goes silent', async () => {
    const raw = await open()
    raw.socket.write(frame(18, 0, 1).subarray(0, 9))
    await within(raw.closed, 5000, 'close after the frame timeout')
    await othersStillServed()
  })

  it('closes a connection that trickles a frame one byte at a time past the frame timeout', async () => {
    const raw = await open()
    const bytes = frame(18, 0, 1)
    let i = 0
    const trickle = setInterval(() => {
      if (i < bytes.length - 1 && !raw.socket.destroyed) raw.socket.write(bytes.subarray(i, ++i))
    }, 50)
    await within(raw.closed, 5000, 'close while trickling')
    clearInterval(trickle)
    expect(raw.frames).toHaveLength(0)
  })

  it('answers an unknown API key with UNSUPPORTED_VERSION and keeps the connection usable', async () => {
    const raw = await open()
    raw.socket.write(frame(999, 0, 41))
    raw.socket.write(frame(18, 0, 42))
    await waitFrames(raw, 2)
    expect(raw.frames[0]!.readInt32BE(0)).toBe(41)
    expect(raw.frames[0]!.readInt16BE(4)).toBe(35)
    expect(raw.frames[1]!.readInt32BE(0)).toBe(42)
    expect(raw.frames[1]!.readInt16BE(4)).toBe(0)
    raw.socket.destroy()
  })

  it('answers ApiVersions v3 (flexible) in the v0 layout with error 35 and the supported ranges', async () => {
    const raw = await open()
    raw.socket.write(frame(18, 3, 7, Buffer.from([0])))
    await waitFrames(raw, 1)
    const res = raw.frames[0]!
    expect(res.readInt32BE(0)).toBe(7)
    expect(res.readInt16BE(4)).toBe(35)
    const count = res.readInt32BE(6)
    const ranges = Array.from({ length: count }, (_, i) => [
      res.readInt16BE(10 + i * 6),
      res.readInt16BE(12 + i * 6),
      res.readInt16BE(14 + i * 6),
    ])
    expect(ranges).toContainEqual([18, 0, 2])
    expect(ranges).toContainEqual([0, 0, 7])
    expect(ranges).toContainEqual([1, 0, 11])
    expect(ranges).toContainEqual([3, 0, 4])
    raw.socket.destroy()
  })

  it('closes a connection whose request body does not decode', async () => {
    const raw = await open()
    const body = Buffer.alloc(4)
    body.writeInt32BE(1_000_000, 0)
    raw.socket.write(frame(3, 4, 1, body))
    await within(raw.closed, 5000, 'close')
    await othersStillServed()
  })
})

describe('record batches the broker refuses', () => {
  async function produceRaw(batch: Buffer): Promise<number> {
    return (await produceRawFull(batch)).errorCode
  }

  async function produceRawFull(batch: Buffer): Promise<{ errorCode: number; baseOffset: number }> {
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'raw-produce', numPartitions: 1 }] })
    await admin.disconnect()
    const w = new Writer()
    w.nullableString(null).int16(-1).int32(5000)
    w.array(['raw-produce'], (w, topic) => {
      w.string(topic)
      w.array([0], (w, index) => w.int32(index).bytes(batch))
    })
    const raw = await open()
    raw.socket.write(frame(0, 7, 9, w.toBuffer()))
    await waitFrames(raw, 1)
    raw.socket.destroy()
    const res = raw.frames[0]!
    // correlation_id, [responses] count, name, [partitions] count, index, error_code, base_offset
    const at = 4 + 4 + 2 + 'raw-produce'.length + 4 + 4
    return { errorCode: res.readInt16BE(at), baseOffset: Number(res.readBigInt64BE(at + 2)) }
  }

  const batch = () =>
    encodeBatch({
      firstTimestamp: Date.now(),
      records: [{ offsetDelta: 0, timestampDelta: 0, key: null, value: Buffer.from('v'), headers: [] }],
    })

  it('answers an unknown codec (5) with UNSUPPORTED_COMPRESSION_TYPE (76) and bytes that are not snappy with CORRUPT_MESSAGE (2)', async () => {
    const unknown = batch()
    unknown.writeInt16BE(5, 21)
    unknown.writeUInt32BE(crc32c(unknown.subarray(21)) >>> 0, 17)
    expect(await produceRaw(unknown)).toBe(76)
    const notSnappy = batch()
    notSnappy.writeInt16BE(2, 21)
    notSnappy.writeUInt32BE(crc32c(notSnappy.subarray(21)) >>> 0, 17)
    expect(await produceRaw(notSnappy)).toBe(2)
  })

  it('answers a retried idempotent batch with its original offset instead of appending it again', async () => {
    const producerId = tb.broker.core.allocateProducerId()
    const idempotent = (baseSequence: number) =>
      encodeBatch({
        firstTimestamp: Date.now(),
        records: [
          {
            offsetDelta: 0,
            timestampDelta: 0,
            key: null,
            value: Buffer.from(`seq-${baseSequence}`),
            headers: [],
          },
        ],
        producerId,
        producerEpoch: 0,
        baseSequence,
      })
    const first = await produceRawFull(idempotent(0))
    expect(first.errorCode).toBe(0)
    const retry = await produceRawFull(idempotent(0))
    expect(retry).toEqual(first)
    const next = await produceRawFull(idempotent(1))
    expect(next).toEqual({ errorCode: 0, baseOffset: first.baseOffset + 1 })
    expect((await produceRawFull(idempotent(5))).errorCode).toBe(45)
  })

  it('answers a batch with a wrong CRC with CORRUPT_MESSAGE (2)', async () => {
    const bad = batch()
    bad[bad.length - 1]! ^= 0xff
    expect(await produceRaw(bad)).toBe(2)
    expect(await produceRaw(batch())).toBe(0)
  })
})

describe('health and metrics endpoint', () => {
  it('serves /healthz and Prometheus counters for messages in and out', async () => {
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic: 'metered', messages: [{ value: 'a' }, { value: 'b' }] })
    await producer.disconnect()
    const base = `http://127.0.0.1:${tb.broker.httpPort}`
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    const text = await (await fetch(`${base}/metrics`)).text()
    expect(text).toMatch(/tokenline_broker_messages_in_total\{topic="metered"\} 2/)
    expect(text).toMatch(/tokenline_broker_partitions \d+/)
    expect(text).toMatch(/tokenline_broker_protocol_errors_total\{reason="frame size"\} [1-9]/)
  })
})
