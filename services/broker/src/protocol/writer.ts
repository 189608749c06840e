/**
 * Big-endian writer for Kafka's classic wire types (see reader.ts for the type table).
 * Large payloads (stored record batches) are kept by reference with `raw()` and written to the
 * socket as separate chunks, so a Fetch response never copies the log bytes it serves.
 */
export class Writer {
  private chunks: Buffer[] = []
  private buf: Buffer
  private pos = 0
  private flushedLength = 0

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial)
  }

  get length(): number {
    return this.flushedLength + this.pos
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n))
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  int8(v: number): this {
    this.ensure(1)
    this.buf.writeInt8(v, this.pos)
    this.pos += 1
    return this
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0)
  }

  int16(v: number): this {
    this.ensure(2)
    this.buf.writeInt16BE(v, this.pos)
    this.pos += 2
    return this
  }

  int32(v: number): this {
    this.ensure(4)
    this.buf.writeInt32BE(v, this.pos)
    this.pos += 4
    return this
  }

  uint32(v: number): this {
    this.ensure(4)
    this.buf.writeUInt32BE(v, this.pos)
    this.pos += 4
    return this
  }

  int64(v: number): this {
    this.ensure(8)
    this.buf.writeBigInt64BE(BigInt(v), this.pos)
    this.pos += 8
    return this
  }

  string(s: string): this {
    return this.nullableString(s)
  }

  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1)
    const len = Buffer.byteLength(s)
    this.int16(len)
    this.ensure(len)
    this.buf.write(s, this.pos, 'utf8')
    this.pos += len
    return this
  }

  bytes(b: Buffer): this {
    return this.nullableBytes(b)
  }

  nullableBytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1)
    this.int32(b.length)
    return this.raw(b)
  }

  array<T>(items: readonly T[], write: (w: Writer, item: T) => void): this {
    this.int32(items.length)
    for (const item of items) write(this, item)
    return this
  }

  nullableArray<T>(items: readonly T[] | null, write: (w: Writer, item: T) => void): this {
    if (items === null) return this.int32(-1)
    return this.array(items, write)
  }

  varint(v: number): this {
    let z = ((v << 1) ^ (v >> 31)) >>> 0
    this.ensure(5)
    while (z >= 0x80) {
      this.buf[this.pos++] = (z & 0x7f) | 0x80
      z >>>= 7
    }
    this.buf[this.pos++] = z
    return this
  }

  varlong(v: number): this {
    const big = BigInt(v)
    let z = BigInt.asUintN(64, (big << 1n) ^ (big >> 63n))
    this.ensure(10)
    while (z >= 0x80n) {
      this.buf[this.pos++] = Number(z & 0x7fn) | 0x80
      z >>= 7n
    }
    this.buf[this.pos++] = Number(z)
    return this
  }

  varBytes(b: Buffer | null): this {
    if (b === null) return this.varint(-1)
    this.varint(b.length)
    return this.raw(b)
  }

  /** Appends bytes; buffers over 4 KiB are kept by reference instead of copied. */
  raw(b: Buffer): this {
    if (b.length > 4096) {
      this.chunks.push(this.buf.subarray(0, this.pos))
      this.flushedLength += this.pos
      this.chunks.push(b)
      this.flushedLength += b.length
      this.buf = Buffer.allocUnsafe(256)
      this.pos = 0
      return this
    }
    this.ensure(b.length)
    b.copy(this.buf, this.pos)
    this.pos += b.length
    return this
  }

  /** The written bytes as chunks in order (no copy of referenced payloads). */
  toChunks(): Buffer[] {
    return [...this.chunks, this.buf.subarray(0, this.pos)]
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.toChunks(), this.length)
  }
}
