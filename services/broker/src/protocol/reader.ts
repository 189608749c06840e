/**
 * Big-endian reader for Kafka's classic (non-flexible) wire types.
 *
 *   int8 | int16 | int32 | int64 : two's complement, big-endian
 *   STRING          : int16 length N >= 0, then N UTF-8 bytes
 *   NULLABLE_STRING : int16 length N, -1 means null
 *   BYTES           : int32 length N >= 0, then N bytes
 *   NULLABLE_BYTES  : int32 length N, -1 means null
 *   ARRAY[T]        : int32 count N (-1 = null), then N items of T
 *   VARINT/VARLONG  : zig-zag LEB128 (record batch v2 only)
 *
 * Every read is bounds-checked; running past the end throws a ProtocolDecodeError so a malformed
 * request costs its connection, never the process.
 */
export class ProtocolDecodeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProtocolDecodeError'
  }
}

export class Reader {
  offset: number

  constructor(
    readonly buf: Buffer,
    offset = 0,
    private readonly end = buf.length,
  ) {
    this.offset = offset
  }

  get remaining(): number {
    return this.end - this.offset
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.offset + n > this.end)
      throw new ProtocolDecodeError(
        `expected ${n} bytes for ${what} at offset ${this.offset}, ${this.remaining} left`,
      )
  }

  int8(): number {
    this.need(1, 'int8')
    return this.buf.readInt8(this.offset++)
  }

  bool(): boolean {
    return this.int8() !== 0
  }

  int16(): number {
    this.need(2, 'int16')
    const v = this.buf.readInt16BE(this.offset)
    this.offset += 2
    return v
  }

  int32(): number {
    this.need(4, 'int32')
    const v = this.buf.readInt32BE(this.offset)
    this.offset += 4
    return v
  }

  /** int64 as a JS number: offsets, timestamps and producer ids stay far below 2^53. */
  int64(): number {
    this.need(8, 'int64')
    const v = Number(this.buf.readBigInt64BE(this.offset))
    this.offset += 8
    return v
  }

  string(): string {
    const s = this.nullableString()
    if (s === null) throw new ProtocolDecodeError(`expected a non-null string at offset ${this.offset - 2}`)
    return s
  }

  nullableString(): string | null {
    const len = this.int16()
    if (len === -1) return null
    if (len < -1) throw new ProtocolDecodeError(`expected string length >= -1, received ${len}`)
    this.need(len, 'string')
    const s = this.buf.toString('utf8', this.offset, this.offset + len)
    this.offset += len
    return s
  }

  bytes(): Buffer {
    const b = this.nullableBytes()
    if (b === null) throw new ProtocolDecodeError(`expected non-null bytes at offset ${this.offset - 4}`)
    return b
  }

  nullableBytes(): Buffer | null {
    const len = this.int32()
    if (len === -1) return null
    if (len < -1) throw new ProtocolDecodeError(`expected bytes length >= -1, received ${len}`)
    this.need(len, 'bytes')
    const b = this.buf.subarray(this.offset, this.offset + len)
    this.offset += len
    return b
  }

  array<T>(item: (r: Reader) => T): T[] {
    const a = this.nullableArray(item)
    if (a === null) throw new ProtocolDecodeError(`expected a non-null array at offset ${this.offset - 4}`)
    return a
  }

  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const n = this.int32()
    if (n === -1) return null
    // Each item takes at least one byte: a count beyond the bytes left is a lie, not a big array.
    if (n < -1 || n > this.remaining)
      throw new ProtocolDecodeError(`expected array count 0–${this.remaining}, received ${n}`)
    const out = new Array<T>(n)
    for (let i = 0; i < n; i++) out[i] = item(this)
    return out
  }

  /** Zig-zag varint (up to 32 bits). */
  varint(): number {
    let result = 0
    let shift = 0
    for (;;) {
      this.need(1, 'varint')
      const b = this.buf[this.offset++]!
      result |= (b & 0x7f) << shift
      if ((b & 0x80) === 0) break
      shift += 7
      if (shift > 28) throw new ProtocolDecodeError('varint longer than 5 bytes')
    }
    return (result >>> 1) ^ -(result & 1)
  }

  /** Zig-zag varlong as a JS number (exact up to 2^53). */
  varlong(): number {
    let result = 0n
    let shift = 0n
    for (;;) {
      this.need(1, 'varlong')
      const b = this.buf[this.offset++]!
      result |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) break
      shift += 7n
      if (shift > 63n) throw new ProtocolDecodeError('varlong longer than 10 bytes')
    }
    return Number((result >> 1n) ^ -(result & 1n))
  }

  /** A varint length followed by that many bytes; -1 means null (record keys, values, headers). */
  varBytes(): Buffer | null {
    const len = this.varint()
    if (len === -1) return null
    if (len < -1) throw new ProtocolDecodeError(`expected varint length >= -1, received ${len}`)
    this.need(len, 'varint bytes')
    const b = this.buf.subarray(this.offset, this.offset + len)
    this.offset += len
    return b
  }
}
