import { crc32c } from '@node-rs/crc32'
import { describe, expect, it } from 'vitest'
import { Reader } from '../../../../../services/broker/src/protocol/reader.ts'
import {
  assignBaseOffset,
  crcMatches,
  decodeRecords,
  encodeBatch,
  readBatchHeader,
  splitAndValidate,
} from '../../../../../services/broker/src/protocol/record-batch.ts'
import { Writer } from '../../../../../services/broker/src/protocol/writer.ts'

const rec = (i: number, key: string | null = `k${i}`) => ({
  offsetDelta: i,
  timestampDelta: i * 10,
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from(`value-${i}`),
  headers: [{ key: 'h', value: Buffer.from(`hv${i}`) }],
})

describe('varints', () => {
  it('zig-zag encodes like Kafka (0→0, -1→1, 1→2, 63→126, -64→127, 64→128 in two bytes)', () => {
    const bytes = (v: number) => [...new Writer().varint(v).toBuffer()]
    expect(bytes(0)).toEqual([0])
    expect(bytes(-1)).toEqual([1])
    expect(bytes(1)).toEqual([2])
    expect(bytes(63)).toEqual([126])
    expect(bytes(-64)).toEqual([127])
    expect(bytes(64)).toEqual([0x80, 0x01])
  })

  it('round-trips varints and varlongs across the range', () => {
    const ints = [0, 1, -1, 300, -300, 2 ** 31 - 1, -(2 ** 31)]
    const longs = [0, -1, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, 1_795_716_970_665]
    const w = new Writer()
    for (const v of ints) w.varint(v)
    for (const v of longs) w.varlong(v)
    const r = new Reader(w.toBuffer())
    expect(ints.map(() => r.varint())).toEqual(ints)
    expect(longs.map(() => r.varlong())).toEqual(longs)
    expect(r.remaining).toBe(0)
  })

  it('rejects a varint longer than 5 bytes', () => {
    expect(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).varint()).toThrow(
      /longer than 5/,
    )
  })
})

describe('record batch v2', () => {
  it('uses CRC-32C (Castagnoli): check value of "123456789" is 0xE3069283', () => {
    expect(crc32c(Buffer.from('123456789')) >>> 0).toBe(0xe3069283)
  })

  it('round-trips records with keys, null keys and headers, uncompressed, gzip, snappy and lz4', () => {
    for (const compression of [0, 1, 2, 3] as const) {
      const records = [rec(0), rec(1, null), rec(2)]
      const batch = encodeBatch({ firstTimestamp: 1_700_000_000_000, records, compression })
      const h = readBatchHeader(batch)
      expect(h.magic).toBe(2)
      expect(h.size).toBe(batch.length)
      expect(h.recordCount).toBe(3)
      expect(h.lastOffsetDelta).toBe(2)
      expect(h.maxTimestamp).toBe(1_700_000_000_020)
      expect(h.attributes & 7).toBe(compression)
      expect(crcMatches(batch)).toBe(true)
      const decoded = decodeRecords(batch)
      expect(decoded.map((r) => r.key?.toString() ?? null)).toEqual(['k0', null, 'k2'])
      expect(decoded.map((r) => r.value?.toString())).toEqual(['value-0', 'value-1', 'value-2'])
      expect(decoded[2]!.headers).toEqual([{ key: 'h', value: Buffer.from('hv2') }])
    }
  })

  it('assigning the base offset keeps the CRC valid (baseOffset is outside the checksum)', () => {
    const batch = encodeBatch({ firstTimestamp: 1, records: [rec(0)] })
    assignBaseOffset(batch, 123_456)
    expect(readBatchHeader(batch).baseOffset).toBe(123_456)
    expect(crcMatches(batch)).toBe(true)
  })

  it('splits several batches and flags a flipped bit, a truncation, old magic, an unknown codec and a lying codec', () => {
    const a = encodeBatch({ firstTimestamp: 1, records: [rec(0)] })
    const b = encodeBatch({ firstTimestamp: 1, records: [rec(0), rec(1)] })
    const both = splitAndValidate(Buffer.concat([a, b]))
    expect(both.ok && both.batches.length).toBe(2)

    const flipped = Buffer.from(a)
    flipped[flipped.length - 1]! ^= 0x01
    expect(splitAndValidate(flipped)).toMatchObject({ ok: false, problem: 'CORRUPT_MESSAGE' })

    expect(splitAndValidate(a.subarray(0, a.length - 3))).toMatchObject({
      ok: false,
      problem: 'CORRUPT_MESSAGE',
    })

    const magic1 = Buffer.from(a)
    magic1.writeInt8(1, 16)
    expect(splitAndValidate(magic1)).toMatchObject({ ok: false, problem: 'UNSUPPORTED_FOR_MESSAGE_FORMAT' })

    const unknown = Buffer.from(a)
    unknown.writeInt16BE(5, 21)
    unknown.writeUInt32BE(crc32c(unknown.subarray(21)) >>> 0, 17)
    expect(splitAndValidate(unknown)).toMatchObject({ ok: false, problem: 'UNSUPPORTED_COMPRESSION_TYPE' })

    const notSnappy = Buffer.from(a)
    notSnappy.writeInt16BE(2, 21)
    notSnappy.writeUInt32BE(crc32c(notSnappy.subarray(21)) >>> 0, 17)
    expect(splitAndValidate(notSnappy)).toMatchObject({ ok: false, problem: 'CORRUPT_MESSAGE' })

    const zstd = Buffer.from(a)
    zstd.writeInt16BE(4, 21)
    zstd.writeUInt32BE(crc32c(zstd.subarray(21)) >>> 0, 17)
    expect(splitAndValidate(zstd, { allowZstd: false })).toMatchObject({
      ok: false,
      problem: 'UNSUPPORTED_COMPRESSION_TYPE',
    })
  })
})
