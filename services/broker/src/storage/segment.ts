/**
 * One log segment: `<baseOffset, 20 digits>.log` holds record batches back to back exactly as they
 * travel on the wire (see protocol/record-batch.ts); `<baseOffset>.index` is a sparse index of
 * 8-byte entries written every `indexIntervalBytes` of log:
 *
 *   IndexEntry => relativeOffset int32 (batch baseOffset - segment baseOffset), position int32
 *
 * The index is a hint: recovery rebuilds it from the log when it is missing or disagrees.
 * All I/O is synchronous on purpose: an append is on the file (page cache) before the produce
 * response is written, which is what makes acks survive `kill -9` of the broker.
 */
import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import {
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  crcMatches,
  readBatchHeader,
} from '../protocol/record-batch.ts'

export const segmentFileName = (baseOffset: number, ext: 'log' | 'index') =>
  `${String(baseOffset).padStart(20, '0')}.${ext}`

/** What a scan of the log found: valid batches, and where the valid bytes end. */
export type ScanResult = { validBytes: number; nextOffset: number; truncatedBytes: number }

export type BatchVisitor = (info: {
  position: number
  baseOffset: number
  lastOffset: number
  size: number
  header: Buffer
}) => void

export class Segment {
  readonly logPath: string
  readonly indexPath: string
  private logFd: number
  private indexFd: number
  size: number
  /** Offset after the last batch in this segment. */
  nextOffset: number
  /** Largest batch maxTimestamp seen (ms); -1 when empty. */
  maxTimestamp = -1
  readonly createdAt: number
  private indexRel: number[] = []
  private indexPos: number[] = []
  private bytesSinceIndex = 0

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly indexIntervalBytes: number,
  ) {
    this.logPath = join(dir, segmentFileName(baseOffset, 'log'))
    this.indexPath = join(dir, segmentFileName(baseOffset, 'index'))
    this.logFd = openSync(this.logPath, 'a+')
    this.indexFd = openSync(this.indexPath, 'a+')
    const st = fstatSync(this.logFd)
    this.size = st.size
    this.createdAt = st.birthtimeMs || st.mtimeMs
    this.nextOffset = baseOffset
  }

  static create(dir: string, baseOffset: number, indexIntervalBytes: number): Segment {
    return new Segment(dir, baseOffset, indexIntervalBytes)
  }

  /**
   * Opens an existing segment. With `verify` every batch is CRC-checked and a torn or corrupt
   * tail is cut off (the active segment after a crash); otherwise only headers are walked.
   */
  static open(
    dir: string,
    baseOffset: number,
    indexIntervalBytes: number,
    verify: boolean,
    visit?: BatchVisitor,
  ): { segment: Segment; scan: ScanResult } {
    const seg = new Segment(dir, baseOffset, indexIntervalBytes)
    const scan = seg.rebuild(verify, visit)
    return { segment: seg, scan }
  }

  private rebuild(verify: boolean, visit?: BatchVisitor): ScanResult {
    this.indexRel = []
    this.indexPos = []
    this.bytesSinceIndex = 0
    const fileSize = this.size
    let pos = 0
    let expected = this.baseOffset
    const head = Buffer.allocUnsafe(BATCH_HEADER_SIZE)
    while (pos + BATCH_HEADER_SIZE <= fileSize) {
      readSync(this.logFd, head, 0, BATCH_HEADER_SIZE, pos)
      const h = readBatchHeader(head)
      if (h.magic !== 2 || h.size < BATCH_HEADER_SIZE || pos + h.size > fileSize || h.baseOffset < expected)
        break
      if (verify) {
        const batch = Buffer.allocUnsafe(h.size)
        readSync(this.logFd, batch, 0, h.size, pos)
        if (!crcMatches(batch)) break
      }
      const lastOffset = h.baseOffset + h.lastOffsetDelta
      visit?.({ position: pos, baseOffset: h.baseOffset, lastOffset, size: h.size, header: head })
      this.noteBatch(h.baseOffset, pos, h.size)
      this.maxTimestamp = Math.max(this.maxTimestamp, h.maxTimestamp)
      expected = lastOffset + 1
      pos += h.size
    }
    const truncatedBytes = fileSize - pos
    if (truncatedBytes > 0) ftruncateSync(this.logFd, pos)
    this.size = pos
    this.nextOffset = expected
    this.writeIndexFile()
    return { validBytes: pos, nextOffset: expected, truncatedBytes }
  }

  private noteBatch(baseOffset: number, position: number, size: number): boolean {
    const first = this.indexRel.length === 0
    if (first || this.bytesSinceIndex >= this.indexIntervalBytes) {
      this.indexRel.push(baseOffset - this.baseOffset)
      this.indexPos.push(position)
      this.bytesSinceIndex = size
      return true
    }
    this.bytesSinceIndex += size
    return false
  }

  private writeIndexFile(): void {
    ftruncateSync(this.indexFd, 0)
    const buf = Buffer.allocUnsafe(this.indexRel.length * 8)
    for (let i = 0; i < this.indexRel.length; i++) {
      buf.writeInt32BE(this.indexRel[i]!, i * 8)
      buf.writeInt32BE(this.indexPos[i]!, i * 8 + 4)
    }
    if (buf.length > 0) writeSync(this.indexFd, buf)
  }

  /** Appends batches whose baseOffset is already assigned; returns nothing until bytes are in the file. */
  append(batches: Buffer[], nextOffset: number, maxTimestamp: number): void {
    const data = batches.length === 1 ? batches[0]! : Buffer.concat(batches)
    let off = 0
    try {
      while (off < data.length) off += writeSync(this.logFd, data, off, data.length - off)
    } catch (err) {
      // A partial write (disk full) must not stay in front of the next append.
      ftruncateSync(this.logFd, this.size)
      throw err
    }
    let pos = this.size
    for (const b of batches) {
      if (this.noteBatch(Number(b.readBigInt64BE(0)), pos, b.length)) {
        const entry = Buffer.allocUnsafe(8)
        entry.writeInt32BE(this.indexRel[this.indexRel.length - 1]!, 0)
        entry.writeInt32BE(pos, 4)
        writeSync(this.indexFd, entry)
      }
      pos += b.length
    }
    this.size = pos
    this.nextOffset = nextOffset
    this.maxTimestamp = Math.max(this.maxTimestamp, maxTimestamp)
  }

  /** Position of the batch that contains `offset`, or -1 when the segment has none at or after it. */
  positionOf(offset: number): number {
    const rel = offset - this.baseOffset
    let lo = 0
    let hi = this.indexRel.length - 1
    let start = 0
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (this.indexRel[mid]! <= rel) {
        start = this.indexPos[mid]!
        lo = mid + 1
      } else hi = mid - 1
    }
    const head = Buffer.allocUnsafe(27)
    let pos = start
    while (pos + BATCH_HEADER_SIZE <= this.size) {
      readSync(this.logFd, head, 0, 27, pos)
      const base = Number(head.readBigInt64BE(0))
      const last = base + head.readInt32BE(23)
      if (last >= offset) return pos
      pos += head.readInt32BE(8) + BATCH_LOG_OVERHEAD
    }
    return -1
  }

  /**
   * Reads whole batches starting at `position`, up to `maxBytes`; at least one batch even when it
   * is bigger than `maxBytes` (so a consumer never gets stuck on a large batch).
   */
  readBatches(position: number, maxBytes: number): Buffer {
    const want = Math.min(Math.max(maxBytes, BATCH_HEADER_SIZE), this.size - position)
    if (want <= 0) return Buffer.alloc(0)
    let buf = Buffer.allocUnsafe(want)
    readSync(this.logFd, buf, 0, want, position)
    let end = 0
    while (end + BATCH_LOG_OVERHEAD <= want) {
      const size = buf.readInt32BE(end + 8) + BATCH_LOG_OVERHEAD
      if (end + size > want) break
      end += size
    }
    if (end === 0) {
      const size = buf.readInt32BE(8) + BATCH_LOG_OVERHEAD
      buf = Buffer.allocUnsafe(size)
      readSync(this.logFd, buf, 0, size, position)
      return buf
    }
    return buf.subarray(0, end)
  }

  /** Calls `visit` with each full batch (used by compaction and timestamp lookups). */
  forEachBatch(visit: (batch: Buffer, position: number) => void): void {
    let pos = 0
    const head = Buffer.allocUnsafe(12)
    while (pos + BATCH_HEADER_SIZE <= this.size) {
      readSync(this.logFd, head, 0, 12, pos)
      const size = head.readInt32BE(8) + BATCH_LOG_OVERHEAD
      const batch = Buffer.allocUnsafe(size)
      readSync(this.logFd, batch, 0, size, pos)
      visit(batch, pos)
      pos += size
    }
  }

  flush(): void {
    fdatasyncSync(this.logFd)
    fdatasyncSync(this.indexFd)
  }

  close(): void {
    closeSync(this.logFd)
    closeSync(this.indexFd)
  }

  delete(): void {
    this.close()
    rmSync(this.logPath, { force: true })
    rmSync(this.indexPath, { force: true })
  }
}
