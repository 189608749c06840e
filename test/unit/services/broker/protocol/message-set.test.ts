import { crc32 } from '@node-rs/crc32'
import { describe, expect, it } from 'vitest'
import { Compression, compress } from '../../../../../services/broker/src/protocol/compression.ts'
import {
  batchesToMessageSet,
  messageSetToBatch,
  readMessageSet,
  writeMessageSet,
} from '../../../../../services/broker/src/protocol/message-set.ts'
import { ProtocolDecodeError } from '../../../../../services/broker/src/protocol/reader.ts'
import {
  decodeRecords,
  encodeBatch,
  readBatchHeader,
} from '../../../../../services/broker/src/protocol/record-batch.ts'
import { Writer } from '../../../../../services/broker/src/protocol/writer.ts'

const msgs = [
  { offset: 0, timestamp: 1_700_000_000_000, key: Buffer.from('k0'), value: Buffer.from('v0') },
  { offset: 1, timestamp: 1_700_000_000_005, key: null, value: Buffer.from('v1') },
]

function set(magic: 0 | 1, messages = msgs): Buffer {
  const w = new Writer()
  writeMessageSet(w, magic, messages)
  return w.toBuffer()
}

/** A magic-1 wrapper message whose value is `inner` compressed with `codec`. */
function wrapper(codec: 1 | 2 | 3, inner: Buffer, lastOffset: number): Buffer {
  const body = new Writer()
  body.int8(1).int8(codec).int64(msgs[1]!.timestamp).nullableBytes(null).nullableBytes(compress(codec, inner))
  const bytes = body.toBuffer()
  return new Writer()
    .int64(lastOffset)
    .int32(bytes.length + 4)
    .uint32(crc32(bytes) >>> 0)
    .raw(bytes)
    .toBuffer()
}

describe('legacy message sets (magic 0/1)', () => {
  it('reads magic 0 (no timestamp: -1) and magic 1 messages', () => {
    expect(readMessageSet(set(0)).map((m) => m.timestamp)).toEqual([-1, -1])
    const m1 = readMessageSet(set(1))
    expect(m1.map((m) => [m.timestamp, m.key?.toString() ?? null, m.value?.toString()])).toEqual([
      [1_700_000_000_000, 'k0', 'v0'],
      [1_700_000_000_005, null, 'v1'],
    ])
  })

  it('inflates gzip, snappy and lz4 wrapper messages', () => {
    for (const codec of [Compression.gzip, Compression.snappy, Compression.lz4] as const) {
      const got = readMessageSet(wrapper(codec, set(1), 1))
      expect(got.map((m) => m.value?.toString())).toEqual(['v0', 'v1'])
    }
  })

  it('rejects a flipped bit by its CRC-32', () => {
    const bad = set(1)
    bad[bad.length - 1]! ^= 1
    expect(() => readMessageSet(bad)).toThrow(ProtocolDecodeError)
  })

  it('up-converts to one record batch v2 with timestamps and keys kept', () => {
    const batch = messageSetToBatch(set(1))
    const h = readBatchHeader(batch)
    expect(h).toMatchObject({
      magic: 2,
      recordCount: 2,
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_005,
    })
    expect(decodeRecords(batch).map((r) => r.key?.toString() ?? null)).toEqual(['k0', null])
  })

  it('down-converts stored batches (any codec) to messages from the asked offset on', () => {
    const records = msgs.map((m, i) => ({
      offsetDelta: i,
      timestampDelta: m.timestamp - msgs[0]!.timestamp,
      key: m.key,
      value: m.value,
      headers: [{ key: 'dropped', value: Buffer.from('x') }],
    }))
    const stored = encodeBatch({
      baseOffset: 10,
      firstTimestamp: msgs[0]!.timestamp,
      records,
      compression: 3,
    })
    const down = batchesToMessageSet(stored, 1, 11)
    expect(down.readBigInt64BE(0)).toBe(11n)
    expect(readMessageSet(down).map((m) => [m.timestamp, m.value?.toString()])).toEqual([
      [1_700_000_000_005, 'v1'],
    ])
    expect(readMessageSet(batchesToMessageSet(stored, 0, 10)).map((m) => m.timestamp)).toEqual([-1, -1])
  })
})
