/**
 * Committed consumer-group offsets, kept in memory and in an append-only file
 * `<dir>/offsets.log` of CRC-checked entries:
 *
 *   Entry => length int32 (of payload), crc uint32 (CRC-32C of payload), payload JSON
 *   payload => { "g": groupId, "c": [[topic, partition, offset, metadata|null], ...] }
 *
 * A commit is in the file before OffsetCommit is answered. At startup entries are replayed until
 * the first torn or corrupt one, which is cut off. The file is rewritten as a snapshot of the
 * live offsets when it grows past 4x their size.
 */
import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { crc32c } from '@node-rs/crc32'
import type { Logger } from '../../../../lib/log/index.ts'
import { writeFileDurably } from './durable-file.ts'

export type CommittedOffset = { offset: number; metadata: string | null }
export type OffsetCommitEntry = { topic: string; partition: number; offset: number; metadata: string | null }

const REWRITE_MIN_BYTES = 1 << 20

function encodeEntry(groupId: string, entries: OffsetCommitEntry[]): Buffer {
  const payload = Buffer.from(
    JSON.stringify({ g: groupId, c: entries.map((e) => [e.topic, e.partition, e.offset, e.metadata]) }),
  )
  const out = Buffer.allocUnsafe(8 + payload.length)
  out.writeInt32BE(payload.length, 0)
  out.writeUInt32BE(crc32c(payload) >>> 0, 4)
  payload.copy(out, 8)
  return out
}

export class OffsetStore {
  /** group → "topic\0partition" → offset */
  private readonly groups = new Map<string, Map<string, CommittedOffset>>()
  private readonly path: string
  private fd: number
  private size = 0
  private dirty = false

  constructor(
    dir: string,
    private readonly log: Logger,
  ) {
    mkdirSync(dir, { recursive: true })
    this.path = join(dir, 'offsets.log')
    this.fd = openSync(this.path, 'a+')
    this.replay()
  }

  private replay(): void {
    const data = readFileSync(this.path)
    let pos = 0
    while (pos + 8 <= data.length) {
      const len = data.readInt32BE(pos)
      if (len < 0 || pos + 8 + len > data.length) break
      const payload = data.subarray(pos + 8, pos + 8 + len)
      if (crc32c(payload) >>> 0 !== data.readUInt32BE(pos + 4)) break
      const { g, c } = JSON.parse(payload.toString('utf8')) as {
        g: string
        c: [string, number, number, string | null][]
      }
      this.apply(
        g,
        c.map(([topic, partition, offset, metadata]) => ({ topic, partition, offset, metadata })),
      )
      pos += 8 + len
    }
    if (pos < data.length) {
      this.log.warn({ file: this.path, truncatedBytes: data.length - pos }, 'truncated torn offsets log tail')
      ftruncateSync(this.fd, pos)
    }
    this.size = pos
  }

  private apply(groupId: string, entries: OffsetCommitEntry[]): void {
    let g = this.groups.get(groupId)
    if (!g) {
      g = new Map()
      this.groups.set(groupId, g)
    }
    for (const e of entries) g.set(`${e.topic}\0${e.partition}`, { offset: e.offset, metadata: e.metadata })
  }

  /** Writes the commit to the file (page cache) and then to memory; a failed write leaves neither changed. */
  commit(groupId: string, entries: OffsetCommitEntry[]): void {
    if (entries.length === 0) return
    const buf = encodeEntry(groupId, entries)
    let off = 0
    try {
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off)
    } catch (err) {
      ftruncateSync(this.fd, this.size)
      throw err
    }
    this.size += buf.length
    this.dirty = true
    this.apply(groupId, entries)
    this.maybeRewrite()
  }

  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(groupId)?.get(`${topic}\0${partition}`)
  }

  /** Every committed offset of a group. */
  all(groupId: string): OffsetCommitEntry[] {
    const g = this.groups.get(groupId)
    if (!g) return []
    return [...g.entries()].map(([k, v]) => {
      const [topic, partition] = k.split('\0') as [string, string]
      return { topic, partition: Number(partition), ...v }
    })
  }

  groupIds(): string[] {
    return [...this.groups.keys()]
  }

  /** Forgets offsets of a deleted topic (in memory; the next rewrite drops them from disk). */
  forgetTopic(topic: string): void {
    for (const g of this.groups.values())
      for (const k of [...g.keys()]) if (k.startsWith(`${topic}\0`)) g.delete(k)
  }

  private maybeRewrite(): void {
    if (this.size < REWRITE_MIN_BYTES) return
    const parts: Buffer[] = []
    for (const groupId of this.groups.keys()) parts.push(encodeEntry(groupId, this.all(groupId)))
    const snapshot = Buffer.concat(parts)
    if (this.size < snapshot.length * 4) return
    closeSync(this.fd)
    writeFileDurably(this.path, snapshot)
    this.fd = openSync(this.path, 'a+')
    this.size = fstatSync(this.fd).size
  }

  flush(): void {
    if (!this.dirty) return
    fdatasyncSync(this.fd)
    this.dirty = false
  }

  close(): void {
    this.flush()
    closeSync(this.fd)
  }
}
