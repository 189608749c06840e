/**
 * Record batch v2 (magic 2), the only on-wire and on-disk record format this broker accepts.
 *
 *   RecordBatch =>
 *     baseOffset           int64   @0   patched by the broker on append
 *     batchLength          int32   @8   bytes after this field
 *     partitionLeaderEpoch int32   @12  set to 0 by the broker (not covered by the CRC)
 *     magic                int8    @16  must be 2
 *     crc                  uint32  @17  CRC-32C of everything from attributes to the end
 *     attributes           int16   @21  bits 0-2 compression (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd),
 *                                       bit 3 timestamp type, bit 4 transactional, bit 5 control
 *     lastOffsetDelta      int32   @23
 *     firstTimestamp       int64   @27  ms since epoch
 *     maxTimestamp         int64   @35  ms since epoch
 *     producerId           int64   @43  -1 without idempotence
 *     producerEpoch        int16   @51
 *     baseSequence         int32   @53
 *     recordCount          int32   @57
 *     records              [Record] @61 (compressed as a whole when compression != 0, see compression.ts)
 *
 *   Record =>
 *     length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
 *     keyLength varint, key bytes, valueLength varint, value bytes,
 *     headersCount varint, [headerKeyLength varint, headerKey utf8, headerValueLength varint, headerValue bytes]
 */
import { crc32c } from '@node-rs/crc32'
import { Compression, codecName, compress, decompress, isKnownCodec } from './compression.ts'
import { ProtocolDecodeError, Reader } from './reader.ts'
import { Writer } from './writer.ts'

export const BATCH_HEADER_SIZE = 61
/** baseOffset + batchLength: the part of the header outside batchLength. */
export const BATCH_LOG_OVERHEAD = 12

export { Compression } from './compression.ts'

export type BatchHeader = {
  baseOffset: number
  /** Total size of the batch on disk and on the wire, including baseOffset and batchLength. */
  size: number
  magic: number
  crc: number
  attributes: number
  lastOffsetDelta: number
  firstTimestamp: number
  maxTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  recordCount: number
}

export type Header = { key: string; value: Buffer | null }

export type RecordEntry = {
  offsetDelta: number
  timestampDelta: number
  key: Buffer | null
  value: Buffer | null
  headers: Header[]
}

export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  if (buf.length - pos < BATCH_HEADER_SIZE)
    throw new ProtocolDecodeError(
      `expected a ${BATCH_HEADER_SIZE}-byte batch header, ${buf.length - pos} bytes left`,
    )
  return {
    baseOffset: Number(buf.readBigInt64BE(pos)),
    size: buf.readInt32BE(pos + 8) + BATCH_LOG_OVERHEAD,
    magic: buf.readInt8(pos + 16),
    crc: buf.readUInt32BE(pos + 17),
    attributes: buf.readInt16BE(pos + 21),
    lastOffsetDelta: buf.readInt32BE(pos + 23),
    firstTimestamp: Number(buf.readBigInt64BE(pos + 27)),
    maxTimestamp: Number(buf.readBigInt64BE(pos + 35)),
    producerId: Number(buf.readBigInt64BE(pos + 43)),
    producerEpoch: buf.readInt16BE(pos + 51),
    baseSequence: buf.readInt32BE(pos + 53),
    recordCount: buf.readInt32BE(pos + 57),
  }
}

export function compressionOf(attributes: number): number {
  return attributes & 0x07
}

export function isTransactional(attributes: number): boolean {
  return (attributes & 0x10) !== 0
}

export function isControl(attributes: number): boolean {
  return (attributes & 0x20) !== 0
}

/** CRC-32C over attributes..end, as stored in the header. */
export function batchCrc(batch: Buffer): number {
  return crc32c(batch.subarray(21)) >>> 0
}

export function crcMatches(batch: Buffer): boolean {
  return batchCrc(batch) === batch.readUInt32BE(17)
}

/** Sets baseOffset and partitionLeaderEpoch in place; neither is covered by the CRC. */
export function assignBaseOffset(batch: Buffer, baseOffset: number): void {
  batch.writeBigInt64BE(BigInt(baseOffset), 0)
  batch.writeInt32BE(0, 12)
}

export type BatchProblem =
  | 'CORRUPT_MESSAGE'
  | 'UNSUPPORTED_COMPRESSION_TYPE'
  | 'UNSUPPORTED_FOR_MESSAGE_FORMAT'
  | 'INVALID_RECORD'

export type ValidateOptions = {
  /** zstd is only allowed from Produce v7 (KIP-110); older requests get UNSUPPORTED_COMPRESSION_TYPE. */
  allowZstd: boolean
}

/**
 * Splits a Produce payload into batches and checks each: complete, magic 2, CRC-32C, a known
 * codec, record count consistent with the offset deltas. Compressed batches are inflated once to
 * check that they decode to exactly `recordCount` records (as Kafka's log validator does).
 * Returns the batches (views into `records`) or the first problem found.
 */
export function splitAndValidate(
  records: Buffer,
  options: ValidateOptions = { allowZstd: true },
):
  | { ok: true; batches: Buffer[]; headers: BatchHeader[] }
  | { ok: false; problem: BatchProblem; detail: string } {
  const batches: Buffer[] = []
  const headers: BatchHeader[] = []
  let pos = 0
  while (pos < records.length) {
    if (records.length - pos < 17)
      return { ok: false, problem: 'CORRUPT_MESSAGE', detail: 'truncated batch header' }
    const magic = records.readInt8(pos + 16)
    if (magic !== 2)
      return {
        ok: false,
        problem: 'UNSUPPORTED_FOR_MESSAGE_FORMAT',
        detail: `expected magic 2, received ${magic}`,
      }
    if (records.length - pos < BATCH_HEADER_SIZE)
      return { ok: false, problem: 'CORRUPT_MESSAGE', detail: 'truncated batch header' }
    const header = readBatchHeader(records, pos)
    if (header.size < BATCH_HEADER_SIZE || pos + header.size > records.length)
      return {
        ok: false,
        problem: 'CORRUPT_MESSAGE',
        detail: `batch length ${header.size} does not fit the payload`,
      }
    const batch = records.subarray(pos, pos + header.size)
    if (!crcMatches(batch)) return { ok: false, problem: 'CORRUPT_MESSAGE', detail: 'CRC-32C mismatch' }
    const codec = compressionOf(header.attributes)
    if (!isKnownCodec(codec) || (codec === Compression.zstd && !options.allowZstd))
      return {
        ok: false,
        problem: 'UNSUPPORTED_COMPRESSION_TYPE',
        detail: `compression ${codecName(codec)} is not supported${codec === Compression.zstd ? ' before Produce v7' : ''}`,
      }
    if (header.recordCount < 1 || header.lastOffsetDelta < header.recordCount - 1)
      return {
        ok: false,
        problem: 'INVALID_RECORD',
        detail: `record count ${header.recordCount} is inconsistent`,
      }
    if (codec !== Compression.none) {
      try {
        decodeRecords(batch)
      } catch (err) {
        return { ok: false, problem: 'CORRUPT_MESSAGE', detail: (err as Error).message }
      }
    }
    batches.push(batch)
    headers.push(header)
    pos += header.size
  }
  if (batches.length === 0)
    return { ok: false, problem: 'CORRUPT_MESSAGE', detail: 'no record batch in payload' }
  return { ok: true, batches, headers }
}

/** Decodes the records of one batch, inflating it first when it is compressed. */
export function decodeRecords(batch: Buffer): RecordEntry[] {
  const header = readBatchHeader(batch)
  const body = decompress(compressionOf(header.attributes), batch.subarray(BATCH_HEADER_SIZE))
  const r = new Reader(body)
  const out: RecordEntry[] = []
  for (let i = 0; i < header.recordCount; i++) {
    const length = r.varint()
    const end = r.offset + length
    r.int8()
    const timestampDelta = r.varlong()
    const offsetDelta = r.varint()
    const key = r.varBytes()
    const value = r.varBytes()
    const headerCount = r.varint()
    const headers: Header[] = []
    for (let h = 0; h < headerCount; h++) {
      const k = r.varBytes()
      headers.push({ key: k === null ? '' : k.toString('utf8'), value: r.varBytes() })
    }
    if (r.offset !== end)
      throw new ProtocolDecodeError(`record ${i} length ${length} does not match its fields`)
    out.push({ offsetDelta, timestampDelta, key, value, headers })
  }
  if (r.remaining !== 0)
    throw new ProtocolDecodeError(`${r.remaining} bytes left after ${header.recordCount} records`)
  return out
}

export type EncodeBatchOptions = {
  baseOffset?: number
  firstTimestamp: number
  records: RecordEntry[]
  /** Keeps the offset span of the original batch when records were dropped (compaction). */
  lastOffsetDelta?: number
  compression?: 0 | 1 | 2 | 3
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
}

/** Encodes a record batch v2 with a valid CRC-32C. */
export function encodeBatch(o: EncodeBatchOptions): Buffer {
  const rw = new Writer(1024)
  let maxTimestamp = o.firstTimestamp
  for (const rec of o.records) {
    const body = new Writer(64)
    body.int8(0).varlong(rec.timestampDelta).varint(rec.offsetDelta).varBytes(rec.key).varBytes(rec.value)
    body.varint(rec.headers.length)
    for (const h of rec.headers) body.varBytes(Buffer.from(h.key, 'utf8')).varBytes(h.value)
    const bytes = body.toBuffer()
    rw.varint(bytes.length).raw(bytes)
    maxTimestamp = Math.max(maxTimestamp, o.firstTimestamp + rec.timestampDelta)
  }
  let recordsBytes = rw.toBuffer()
  const compression = o.compression ?? 0
  recordsBytes = compress(compression, recordsBytes)
  const lastOffsetDelta = o.lastOffsetDelta ?? Math.max(0, ...o.records.map((r) => r.offsetDelta))
  const out = Buffer.alloc(BATCH_HEADER_SIZE + recordsBytes.length)
  out.writeBigInt64BE(BigInt(o.baseOffset ?? 0), 0)
  out.writeInt32BE(out.length - BATCH_LOG_OVERHEAD, 8)
  out.writeInt32BE(0, 12)
  out.writeInt8(2, 16)
  out.writeInt16BE(compression, 21)
  out.writeInt32BE(lastOffsetDelta, 23)
  out.writeBigInt64BE(BigInt(o.firstTimestamp), 27)
  out.writeBigInt64BE(BigInt(maxTimestamp), 35)
  out.writeBigInt64BE(BigInt(o.producerId ?? -1), 43)
  out.writeInt16BE(o.producerEpoch ?? -1, 51)
  out.writeInt32BE(o.baseSequence ?? -1, 53)
  out.writeInt32BE(o.records.length, 57)
  recordsBytes.copy(out, BATCH_HEADER_SIZE)
  out.writeUInt32BE(batchCrc(out), 17)
  return out
}
