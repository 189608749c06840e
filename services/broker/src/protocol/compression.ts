/**
 * Kafka's record compression codecs, as used in record batch v2 attributes bits 0-2 and in the
 * attributes of legacy (magic 0/1) wrapper messages.
 *
 *   0 none
 *   1 gzip    RFC 1952 stream (node:zlib)
 *   2 snappy  raw Snappy block (librdkafka) or xerial framing (the Java client):
 *               XerialHeader => magic 8 bytes (0x82 'SNAPPY' 0x00), version int32, compatible int32
 *               then blocks  => length int32, raw Snappy block of that length
 *   3 lz4     LZ4 frame (magic 0x184D2204); magic 0/1 messages from old clients carry a wrong
 *             header checksum (KAFKA-3160), which the decoder ignores
 *   4 zstd    Zstandard frame (Produce v7+ / Fetch v10+ only)
 *
 * Decoding is done by well-kept pure-JS packages (snappyjs, lz4js, fzstd); the broker only ever
 * compresses with gzip (tests and tools), so zstd needs no encoder here.
 */
import { gunzipSync, gzipSync } from 'node:zlib'
import { decompress as zstdDecompress } from 'fzstd'
import * as lz4 from 'lz4js'
import * as snappy from 'snappyjs'
import { ProtocolDecodeError } from './reader.ts'

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const
export type CompressionCodec = (typeof Compression)[keyof typeof Compression]

export const codecName = (codec: number): string =>
  ['none', 'gzip', 'snappy', 'lz4', 'zstd'][codec] ?? `unknown (${codec})`

export function isKnownCodec(codec: number): codec is CompressionCodec {
  return codec >= 0 && codec <= 4
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER_SIZE = 16

function unsnappy(data: Buffer): Buffer {
  if (data.length < XERIAL_HEADER_SIZE || !data.subarray(0, 8).equals(XERIAL_MAGIC))
    return Buffer.from(snappy.uncompress(data))
  const parts: Buffer[] = []
  let pos = XERIAL_HEADER_SIZE
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new ProtocolDecodeError('truncated xerial snappy block length')
    const len = data.readInt32BE(pos)
    pos += 4
    if (len < 0 || pos + len > data.length)
      throw new ProtocolDecodeError(`xerial snappy block of ${len} bytes does not fit`)
    parts.push(Buffer.from(snappy.uncompress(data.subarray(pos, pos + len))))
    pos += len
  }
  return Buffer.concat(parts)
}

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength)

/** Inflates `data` compressed with `codec`; a corrupt stream throws a ProtocolDecodeError. */
export function decompress(codec: number, data: Buffer): Buffer {
  try {
    switch (codec) {
      case Compression.none:
        return data
      case Compression.gzip:
        return gunzipSync(data)
      case Compression.snappy:
        return unsnappy(data)
      case Compression.lz4:
        return asBuffer(lz4.decompress(data))
      case Compression.zstd:
        return asBuffer(zstdDecompress(data))
      default:
        throw new ProtocolDecodeError(`expected compression codec 0-4, received ${codec}`)
    }
  } catch (err) {
    if (err instanceof ProtocolDecodeError) throw err
    throw new ProtocolDecodeError(`corrupt ${codecName(codec)} data: ${(err as Error).message}`)
  }
}

/** Compresses with gzip, snappy (raw block) or lz4 (frame); zstd and others are not offered. */
export function compress(codec: 0 | 1 | 2 | 3, data: Buffer): Buffer {
  switch (codec) {
    case Compression.none:
      return data
    case Compression.gzip:
      return gzipSync(data)
    case Compression.snappy:
      return Buffer.from(snappy.compress(data))
    case Compression.lz4:
      return asBuffer(lz4.compress(data))
  }
}
