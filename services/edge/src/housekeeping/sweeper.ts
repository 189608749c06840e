import { rm } from 'node:fs/promises'
import type { Storage } from '../../../../lib/db/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import type { EdgeMetrics } from '../metrics.ts'
import type { PolicyStore } from '../policy/policy.store.ts'
import type { CapacityGuard } from './capacity.guard.ts'

export type SweeperOptions = {
  intervalMs: number
  imageRetentionMs: number
  /** Sent outbox rows are deleted after this long (ms); default 1 h. */
  keepSentMs?: number
  clock?: () => Date
}

/**
 * The edge's periodic chores: cases past their deadline get the policy's fallback, outbox
 * depth and free disk are measured (for the guard, health and metrics), kept images older than
 * the retention are deleted, sent outbox rows are pruned. One pass at a time.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private readonly clock: () => Date

  constructor(
    private readonly storage: Storage,
    private readonly policies: PolicyStore,
    private readonly guard: CapacityGuard,
    private readonly metrics: EdgeMetrics,
    private readonly log: Logger,
    private readonly options: SweeperOptions,
  ) {
    this.clock = options.clock ?? (() => new Date())
  }

  start(): void {
    const tick = () => {
      this.running = this.sweep()
        .catch((err: unknown) => this.log.warn({ err }, 'housekeeping pass failed; retrying'))
        .finally(() => {
          this.running = undefined
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.options.intervalMs)
        })
    }
    this.timer = setTimeout(tick, 0)
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    await this.running
  }

  async sweep(): Promise<void> {
    const now = this.clock()
    for (const line of this.policies.servedLines()) {
      const policy = this.policies.get(line.lineId)
      if (!policy) continue
      const fallback = policy.pastDeadline === 'hold' ? 'held' : 'fallback'
      const expired = await this.storage.edgeInspections.expire(now, fallback, line.lineId)
      if (expired.length > 0) {
        this.metrics.deadlineFallbacks.inc(
          { line: line.lineId, fallback: policy.pastDeadline },
          expired.length,
        )
        this.log.warn(
          { lineId: line.lineId, cases: expired.length, fallback: policy.pastDeadline },
          'cloud verdicts past their deadline: policy fallback applied',
        )
      }
    }
    const depth = await this.storage.edgeOutbox.depth()
    this.guard.outbox = depth
    await this.guard
      .refreshDisk()
      .catch((err: unknown) => this.log.warn({ err }, 'could not measure free disk'))
    this.metrics.outboxDepth.set(depth.rows)
    this.metrics.outboxBytes.set(depth.bytes)
    this.metrics.outboxOldestAge.set(
      depth.oldestCreatedAt ? Math.max(0, (now.getTime() - depth.oldestCreatedAt.getTime()) / 1000) : 0,
    )
    const old = await this.storage.edgeInspections.imagesBefore(
      new Date(now.getTime() - this.options.imageRetentionMs),
      500,
    )
    for (const { id, imagePath } of old) {
      try {
        if (imagePath) await rm(imagePath, { force: true })
        await this.storage.edgeInspections.forgetImage(id)
      } catch (err) {
        this.log.warn(
          { err, inspectionId: id, imagePath },
          'could not delete a kept image past its retention',
        )
      }
    }
    await this.storage.edgeOutbox.pruneSent(new Date(now.getTime() - (this.options.keepSentMs ?? 3_600_000)))
  }
}
