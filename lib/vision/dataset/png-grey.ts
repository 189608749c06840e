/**
 * Minimal PNG encoder for 8-bit grey images (used for masks, which are mostly zeros: deflate
 * handles them in microseconds, while a sharp call costs about a millisecond of fixed overhead).
 *
 * PNG = 8-byte signature, IHDR (width, height, bit depth 8, colour type 0 grey), one IDAT
 * (zlib stream of rows, each prefixed with filter byte 0 = None), IEND; every chunk is
 * [length u32 BE][type][data][CRC-32 of type+data u32 BE].
 */
import { deflateSync } from 'node:zlib'
import { crc32 } from '@node-rs/crc32'

const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'ascii')
  data.copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length)
  return out
}

/** Encodes `data` (width·height grey samples, row-major) as a PNG. */
export function encodeGreyPng(width: number, height: number, data: Uint8Array): Buffer {
  if (data.length !== width * height) {
    throw new RangeError(`expected ${width * height} samples for data but received ${data.length}`)
  }
  const raw = Buffer.alloc(height * (width + 1))
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * width, (y + 1) * width), y * (width + 1) + 1)
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8
  ihdr[9] = 0
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}
