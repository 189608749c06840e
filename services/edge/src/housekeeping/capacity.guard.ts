import { statfs } from 'node:fs/promises'
import type { OutboxDepth } from '../../../../lib/db/index.ts'
import { EdgeError } from '../errors.ts'

export type CapacityLimits = { outboxMaxRows: number; outboxMaxBytes: number; minFreeDiskBytes: number }

/**
 * Refuses new work when the outbox or the disk is full, from figures the housekeeping loop
 * refreshes (about once a second), so ingest never queries them per image.
 */
export class CapacityGuard {
  outbox: OutboxDepth = { rows: 0, bytes: 0, oldestCreatedAt: null }
  /** Free bytes on the data directory's file system; Infinity until measured. */
  freeDiskBytes = Number.POSITIVE_INFINITY

  constructor(
    private readonly limits: CapacityLimits,
    private readonly dataDir: string,
  ) {}

  async refreshDisk(): Promise<void> {
    if (this.limits.minFreeDiskBytes === 0) return
    const s = await statfs(this.dataDir)
    this.freeDiskBytes = Number(s.bavail) * Number(s.bsize)
  }

  /** What is full right now, for /healthz; empty when all is well. */
  problems(): string[] {
    const out: string[] = []
    if (this.outbox.rows >= this.limits.outboxMaxRows)
      out.push(`outbox holds ${this.outbox.rows} unsent records (limit ${this.limits.outboxMaxRows})`)
    if (this.outbox.bytes >= this.limits.outboxMaxBytes)
      out.push(`outbox holds ${this.outbox.bytes} unsent bytes (limit ${this.limits.outboxMaxBytes})`)
    if (this.freeDiskBytes < this.limits.minFreeDiskBytes)
      out.push(
        `${this.freeDiskBytes} bytes free under the data directory (minimum ${this.limits.minFreeDiskBytes})`,
      )
    return out
  }

  /** @throws EdgeError EDGE_OUTBOX_FULL | EDGE_DISK_FULL */
  check(): void {
    if (this.outbox.rows >= this.limits.outboxMaxRows || this.outbox.bytes >= this.limits.outboxMaxBytes) {
      throw new EdgeError(
        'EDGE_OUTBOX_FULL',
        `the outbox is full (${this.outbox.rows} records, ${this.outbox.bytes} bytes unsent; limits EDGE_OUTBOX_MAX_ROWS ${this.limits.outboxMaxRows}, EDGE_OUTBOX_MAX_BYTES ${this.limits.outboxMaxBytes}): Kafka has been unreachable too long`,
      )
    }
    if (this.freeDiskBytes < this.limits.minFreeDiskBytes) {
      throw new EdgeError(
        'EDGE_DISK_FULL',
        `only ${this.freeDiskBytes} bytes free under the data directory (EDGE_MIN_FREE_DISK_BYTES ${this.limits.minFreeDiskBytes})`,
      )
    }
  }
}
