import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../../../../lib/log/index.ts'
import { KafkaError } from '../protocol/error-codes.ts'
import {
  assignBaseOffset,
  type BatchHeader,
  decodeRecords,
  encodeBatch,
  readBatchHeader,
} from '../protocol/record-batch.ts'
import { ProducerState } from './producer-state.ts'
import { Segment, segmentFileName } from './segment.ts'

/** Per-topic log settings (Kafka topic config names in brackets). */
export type LogSettings = {
  /** Roll to a new segment past this size in bytes [segment.bytes]. */
  segmentBytes: number
  /** Roll the active segment once it is this old in ms [segment.ms]. */
  segmentMs: number
  /** Delete oldest segments while the partition is larger than this; -1 = no limit [retention.bytes]. */
  retentionBytes: number
  /** Delete segments whose newest record is older than this; -1 = forever [retention.ms]. */
  retentionMs: number
  /** `delete` or `compact` [cleanup.policy]. */
  cleanupPolicy: 'delete' | 'compact'
  /** Tombstones (null value) of compacted topics are kept this long after their timestamp, ms [delete.retention.ms]. */
  deleteRetentionMs: number
  /** Largest record batch accepted, bytes [max.message.bytes]. */
  maxMessageBytes: number
  indexIntervalBytes: number
}

export type AppendResult =
  | { ok: true; baseOffset: number; logAppendTime: number }
  | { ok: false; errorCode: number; detail: string }

/**
 * The log of one partition: a directory of segments, the offsets it covers
 * [logStartOffset, nextOffset), producer sequence state, retention and compaction.
 */
export class PartitionLog {
  private segments: Segment[] = []
  logStartOffset = 0
  nextOffset = 0
  private dirty = false
  readonly producers = new ProducerState()

  constructor(
    readonly dir: string,
    readonly topic: string,
    readonly partition: number,
    public settings: LogSettings,
    private readonly log: Logger,
  ) {
    mkdirSync(dir, { recursive: true })
    const bases = readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => Number(f.slice(0, -4)))
      .filter((n) => Number.isSafeInteger(n))
      .sort((a, b) => a - b)
    for (const [i, base] of bases.entries()) {
      const active = i === bases.length - 1
      const { segment, scan } = Segment.open(dir, base, settings.indexIntervalBytes, active, (b) => {
        if (!active) return
        const h = readBatchHeader(b.header)
        this.producers.record(h.producerId, h.producerEpoch, h.baseSequence, h.lastOffsetDelta, h.baseOffset)
      })
      if (scan.truncatedBytes > 0)
        log.warn(
          {
            topic,
            partition,
            segment: base,
            truncatedBytes: scan.truncatedBytes,
            nextOffset: scan.nextOffset,
          },
          'truncated torn or corrupt log tail',
        )
      this.segments.push(segment)
    }
    if (this.segments.length === 0) this.segments.push(Segment.create(dir, 0, settings.indexIntervalBytes))
    this.logStartOffset = this.segments[0]!.baseOffset
    this.nextOffset = this.active.nextOffset
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!
  }

  /** Base offsets of the segments, oldest first; the last one is the active segment. */
  get segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset)
  }

  get sizeBytes(): number {
    let n = 0
    for (const s of this.segments) n += s.size
    return n
  }

  /**
   * Appends validated batches (views into the request buffer, patched in place with their
   * offsets). Idempotent retries are answered with the original offset and not written again.
   */
  append(batches: Buffer[], headers: BatchHeader[], now: number): AppendResult {
    for (const h of headers) {
      if (h.size > this.settings.maxMessageBytes)
        return {
          ok: false,
          errorCode: KafkaError.MESSAGE_TOO_LARGE,
          detail: `batch of ${h.size} bytes exceeds max.message.bytes ${this.settings.maxMessageBytes}`,
        }
    }
    const first = headers[0]!
    if (headers.length === 1) {
      const check = this.producers.check(first)
      if (check.kind === 'duplicate') return { ok: true, baseOffset: check.baseOffset, logAppendTime: -1 }
      if (check.kind === 'error') return { ok: false, errorCode: check.errorCode, detail: check.detail }
    }
    const baseOffset = this.nextOffset
    const bases: number[] = []
    let next = baseOffset
    let maxTs = -1
    for (const [i, batch] of batches.entries()) {
      const h = headers[i]!
      assignBaseOffset(batch, next)
      bases.push(next)
      next += h.lastOffsetDelta + 1
      maxTs = Math.max(maxTs, h.maxTimestamp)
    }
    try {
      this.maybeRoll(now)
      this.active.append(batches, next, maxTs)
    } catch (err) {
      this.log.error({ err, topic: this.topic, partition: this.partition }, 'append failed')
      return { ok: false, errorCode: KafkaError.KAFKA_STORAGE_ERROR, detail: (err as Error).message }
    }
    for (const [i, h] of headers.entries())
      this.producers.record(h.producerId, h.producerEpoch, h.baseSequence, h.lastOffsetDelta, bases[i]!)
    this.nextOffset = next
    this.dirty = true
    return { ok: true, baseOffset, logAppendTime: -1 }
  }

  private maybeRoll(now: number): void {
    const a = this.active
    if (a.size === 0) return
    if (a.size >= this.settings.segmentBytes || now - a.createdAt >= this.settings.segmentMs) this.roll()
  }

  /** Closes the active segment and starts a new one at the next offset. */
  roll(): void {
    if (this.active.size === 0) return
    this.active.flush()
    this.segments.push(Segment.create(this.dir, this.nextOffset, this.settings.indexIntervalBytes))
  }

  /**
   * Whole batches from the one containing `offset`, up to `maxBytes` (at least one batch).
   * Returns an empty buffer at the end of the log.
   */
  read(offset: number, maxBytes: number): Buffer {
    let i = this.segments.length - 1
    while (i > 0 && this.segments[i]!.baseOffset > offset) i--
    for (; i < this.segments.length; i++) {
      const seg = this.segments[i]!
      const pos = seg.positionOf(offset)
      if (pos >= 0) return seg.readBatches(pos, maxBytes)
    }
    return Buffer.alloc(0)
  }

  /**
   * The first record (offset and its timestamp, ms) whose timestamp is >= `timestamp`, or null
   * when every record is older. Batches are skipped by their maxTimestamp; a candidate batch is
   * decoded (inflated when compressed) to find the record.
   */
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null {
    for (const seg of this.segments) {
      if (seg.maxTimestamp < timestamp) continue
      let found = null as { offset: number; timestamp: number } | null
      seg.forEachBatch((batch) => {
        if (found) return
        const h = readBatchHeader(batch)
        if (h.maxTimestamp < timestamp) return
        for (const r of decodeRecords(batch)) {
          const offset = h.baseOffset + r.offsetDelta
          const ts = h.firstTimestamp + r.timestampDelta
          if (ts >= timestamp && offset >= this.logStartOffset) {
            found = { offset, timestamp: ts }
            return
          }
        }
      })
      if (found) return found
    }
    return null
  }

  /** fsync the active segment if anything was appended since the last flush. */
  flush(): void {
    if (!this.dirty) return
    this.active.flush()
    this.dirty = false
  }

  /** Deletes closed segments past retention.bytes / retention.ms; returns how many went. */
  applyRetention(now: number): number {
    if (this.settings.cleanupPolicy !== 'delete') return 0
    let removed = 0
    let total = this.sizeBytes
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!
      const tooBig = this.settings.retentionBytes >= 0 && total - oldest.size >= this.settings.retentionBytes
      const tooOld =
        this.settings.retentionMs >= 0 &&
        oldest.maxTimestamp >= 0 &&
        now - oldest.maxTimestamp > this.settings.retentionMs
      if (!tooBig && !tooOld) break
      total -= oldest.size
      oldest.delete()
      this.segments.shift()
      removed++
    }
    this.logStartOffset = this.segments[0]!.baseOffset
    return removed
  }

  /**
   * Compaction for `cleanup.policy=compact`: in every closed segment keep only the newest record
   * per key (records without a key are dropped, as Kafka rejects them on compacted topics). A
   * tombstone (null value) that is the newest for its key goes too once its timestamp is more
   * than `delete.retention.ms` before `now`, so consumers that were behind still saw it.
   * Batches keep their base offset and offset span; surviving records are rewritten uncompressed;
   * a segment left with nothing is deleted (log start offset unchanged, as in Kafka).
   * Returns the number of records removed.
   */
  compact(now: number = Date.now()): number {
    if (this.settings.cleanupPolicy !== 'compact' || this.segments.length < 2) return 0
    const latest = new Map<string, number>()
    for (const seg of this.segments) {
      seg.forEachBatch((batch) => {
        const base = Number(batch.readBigInt64BE(0))
        for (const r of decodeRecords(batch))
          if (r.key) latest.set(r.key.toString('base64'), base + r.offsetDelta)
      })
    }
    const tombstoneHorizon = now - this.settings.deleteRetentionMs
    let removed = 0
    const closed = this.segments.slice(0, -1)
    const rewritten: Segment[] = []
    const tmpDir = join(this.dir, 'cleaning')
    for (const seg of closed) {
      const out: Buffer[] = []
      let segRemoved = 0
      seg.forEachBatch((batch) => {
        const h = readBatchHeader(batch)
        const records = decodeRecords(batch)
        const keep = records.filter(
          (r) =>
            r.key &&
            latest.get(r.key.toString('base64')) === h.baseOffset + r.offsetDelta &&
            (r.value !== null || h.firstTimestamp + r.timestampDelta > tombstoneHorizon),
        )
        segRemoved += records.length - keep.length
        if (keep.length === records.length) out.push(batch)
        else if (keep.length > 0)
          out.push(
            encodeBatch({
              baseOffset: h.baseOffset,
              firstTimestamp: h.firstTimestamp,
              records: keep,
              lastOffsetDelta: h.lastOffsetDelta,
              producerId: h.producerId,
              producerEpoch: h.producerEpoch,
              baseSequence: h.baseSequence,
            }),
          )
      })
      if (segRemoved === 0) {
        rewritten.push(seg)
        continue
      }
      removed += segRemoved
      if (out.length === 0) {
        seg.delete()
        continue
      }
      mkdirSync(tmpDir, { recursive: true })
      const fresh = Segment.create(tmpDir, seg.baseOffset, this.settings.indexIntervalBytes)
      let maxTs = -1
      for (const b of out) maxTs = Math.max(maxTs, readBatchHeader(b).maxTimestamp)
      fresh.append(out, seg.nextOffset, maxTs)
      fresh.flush()
      fresh.close()
      seg.close()
      renameSync(join(tmpDir, segmentFileName(seg.baseOffset, 'log')), seg.logPath)
      renameSync(join(tmpDir, segmentFileName(seg.baseOffset, 'index')), seg.indexPath)
      rewritten.push(Segment.open(this.dir, seg.baseOffset, this.settings.indexIntervalBytes, false).segment)
    }
    rmSync(tmpDir, { recursive: true, force: true })
    this.segments = [...rewritten, this.active]
    if (removed > 0)
      this.log.info({ topic: this.topic, partition: this.partition, removed }, 'compacted partition')
    return removed
  }

  close(): void {
    this.flush()
    for (const s of this.segments) s.close()
  }
}
