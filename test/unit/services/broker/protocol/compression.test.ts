import * as snappy from 'snappyjs'
import { describe, expect, it } from 'vitest'
import { Compression, compress, decompress } from '../../../../../services/broker/src/protocol/compression.ts'
import { ProtocolDecodeError } from '../../../../../services/broker/src/protocol/reader.ts'

const text = Buffer.from('tokenline '.repeat(500))

describe('compression codecs', () => {
  it('round-trips gzip, raw snappy and lz4 frames, and the result is smaller than the input', () => {
    for (const codec of [Compression.gzip, Compression.snappy, Compression.lz4] as const) {
      const packed = compress(codec, text)
      expect(packed.length).toBeLessThan(text.length / 4)
      expect(decompress(codec, packed).equals(text)).toBe(true)
    }
  })

  it('reads xerial-framed snappy as the Java client writes it (header, then length-prefixed blocks)', () => {
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
    const blocks = [text.subarray(0, 1000), text.subarray(1000)].map((part) => {
      const block = Buffer.from(snappy.compress(part))
      const len = Buffer.alloc(4)
      len.writeInt32BE(block.length)
      return Buffer.concat([len, block])
    })
    expect(decompress(Compression.snappy, Buffer.concat([header, ...blocks])).equals(text)).toBe(true)
  })

  it('reads a zstd frame (3 bytes "abc", `printf abc | zstd -c`, with checksum)', () => {
    const frame = Buffer.from('28b52ffd0458190000616263990977ad', 'hex')
    expect(decompress(Compression.zstd, frame).toString()).toBe('abc')
  })

  it('turns corrupt input and unknown codecs into a ProtocolDecodeError', () => {
    expect(() => decompress(Compression.gzip, Buffer.from('nope'))).toThrow(ProtocolDecodeError)
    expect(() => decompress(Compression.lz4, Buffer.from('nope'))).toThrow(ProtocolDecodeError)
    expect(() => decompress(Compression.zstd, Buffer.from('nope'))).toThrow(ProtocolDecodeError)
    expect(() => decompress(7, text)).toThrow(ProtocolDecodeError)
  })
})
