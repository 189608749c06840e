/**
 * Legacy message sets (magic 0 and 1), spoken by Produce v0-v2 and Fetch v0-v3 only. The log
 * stores record batch v2; produce requests are up-converted and fetch responses down-converted.
 *
 *   MessageSet => [offset int64, message_size int32, Message]
 *   Message (magic 0) => crc uint32 (CRC-32 of magic..end), magic int8, attributes int8,
 *                        key NULLABLE_BYTES, value NULLABLE_BYTES
 *   Message (magic 1) => crc, magic, attributes, timestamp int64 (ms), key, value
 *   attributes: bits 0-2 compression (see compression.ts), bit 3 timestamp type (magic 1)
 *
 * A compressed message is a wrapper whose value is a compressed inner message set. Inner offsets
 * are absolute for magic 0 and relative (0..n-1) for magic 1, where the wrapper carries the
 * absolute offset of the last inner message. Headers do not exist before magic 2: they are
 * dropped on down-conversion, as Kafka does.
 */
import { crc32 } from '@node-rs/crc32'
import { decompress } from './compression.ts'
import { ProtocolDecodeError, Reader } from './reader.ts'
import { decodeRecords, encodeBatch, type RecordEntry, readBatchHeader } from './record-batch.ts'
import { Writer } from './writer.ts'

/** A message read from a legacy set: -1 timestamp for magic 0 (Kafka's NO_TIMESTAMP). */
export type LegacyMessage = { timestamp: number; key: Buffer | null; value: Buffer | null }

const MESSAGE_OVERHEAD = 12

function readSet(buf: Buffer, out: LegacyMessage[], depth: number): void {
  let pos = 0
  while (pos + MESSAGE_OVERHEAD <= buf.length) {
    const size = buf.readInt32BE(pos + 8)
    // A partial trailing message is allowed by the protocol (fetch responses); in a produce it is ignored.
    if (size < 14 || pos + MESSAGE_OVERHEAD + size > buf.length) break
    const msg = buf.subarray(pos + MESSAGE_OVERHEAD, pos + MESSAGE_OVERHEAD + size)
    if (crc32(msg.subarray(4)) >>> 0 !== msg.readUInt32BE(0))
      throw new ProtocolDecodeError('message CRC-32 mismatch')
    const r = new Reader(msg, 4)
    const magic = r.int8()
    if (magic !== 0 && magic !== 1) throw new ProtocolDecodeError(`expected magic 0 or 1, received ${magic}`)
    const attributes = r.int8()
    const timestamp = magic === 1 ? r.int64() : -1
    const key = r.nullableBytes()
    const value = r.nullableBytes()
    const codec = attributes & 0x07
    if (codec === 0) out.push({ timestamp, key, value })
    else {
      if (depth > 0) throw new ProtocolDecodeError('nested compressed message')
      if (!value) throw new ProtocolDecodeError('compressed wrapper message without a value')
      const inner: LegacyMessage[] = []
      readSet(decompress(codec, value), inner, depth + 1)
      for (const m of inner) out.push(magic === 1 && m.timestamp < 0 ? { ...m, timestamp } : m)
    }
    pos += MESSAGE_OVERHEAD + size
  }
}

/** Reads every message of a legacy set, inflating compressed wrappers; throws on a bad CRC or codec. */
export function readMessageSet(buf: Buffer): LegacyMessage[] {
  const out: LegacyMessage[] = []
  readSet(buf, out, 0)
  return out
}

/** Records as a v2 batch would hold them: the first message's timestamp is the base. */
export function toRecordEntries(messages: LegacyMessage[]): {
  firstTimestamp: number
  records: RecordEntry[]
} {
  const firstTimestamp = messages[0]?.timestamp ?? -1
  return {
    firstTimestamp,
    records: messages.map((m, i) => ({
      offsetDelta: i,
      timestampDelta: firstTimestamp < 0 || m.timestamp < 0 ? 0 : m.timestamp - firstTimestamp,
      key: m.key,
      value: m.value,
      headers: [],
    })),
  }
}

/** Writes uncompressed messages of `magic` with their absolute offsets. */
export function writeMessageSet(
  w: Writer,
  magic: 0 | 1,
  messages: { offset: number; timestamp: number; key: Buffer | null; value: Buffer | null }[],
): void {
  for (const m of messages) {
    const body = new Writer(64)
    body.int8(magic).int8(0)
    if (magic === 1) body.int64(m.timestamp)
    body.nullableBytes(m.key).nullableBytes(m.value)
    const bytes = body.toBuffer()
    w.int64(m.offset)
      .int32(bytes.length + 4)
      .uint32(crc32(bytes) >>> 0)
      .raw(bytes)
  }
}

/** Up-conversion for Produce v0-v2: one uncompressed record batch v2 holding every message. */
export function messageSetToBatch(buf: Buffer): Buffer {
  const messages = readMessageSet(buf)
  if (messages.length === 0) throw new ProtocolDecodeError('no complete message in message set')
  return encodeBatch(toRecordEntries(messages))
}

/**
 * Down-conversion for Fetch v0-v3: stored record batches (whole, as read from the log) become
 * uncompressed messages of `magic`, starting at `fromOffset` (earlier records of the first batch
 * are skipped, as a v0 client expects no offsets before the one it asked for).
 */
export function batchesToMessageSet(stored: Buffer, magic: 0 | 1, fromOffset: number): Buffer {
  const w = new Writer(stored.length + 64)
  let pos = 0
  while (pos + 61 <= stored.length) {
    const h = readBatchHeader(stored, pos)
    const batch = stored.subarray(pos, pos + h.size)
    const messages = decodeRecords(batch)
      .map((r) => ({
        offset: h.baseOffset + r.offsetDelta,
        timestamp: h.firstTimestamp < 0 ? -1 : h.firstTimestamp + r.timestampDelta,
        key: r.key,
        value: r.value,
      }))
      .filter((m) => m.offset >= fromOffset)
    writeMessageSet(w, magic, messages)
    pos += h.size
  }
  return w.toBuffer()
}
