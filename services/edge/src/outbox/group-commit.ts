import type { EdgeInspectionWrite, OutboxWrite, Storage } from '../../../../lib/db/index.ts'

/** One inspection and its outbox records: committed together or not at all. */
export type InspectionWrite = { inspection: EdgeInspectionWrite; outbox: OutboxWrite[]; at: Date }

type Pending = { write: InspectionWrite; resolve: () => void; reject: (err: unknown) => void }

/**
 * Group commit: inspections that arrive while a transaction is being written wait and go into the
 * next one together (up to `maxBatch`), so the per-transaction cost of the embedded database
 * (WAL write and flush) is paid once per group instead of once per image. Each caller's promise
 * resolves only after its own rows are committed. When a group fails, its inspections are retried
 * one transaction each, so one bad row fails only its own caller.
 */
export class GroupCommit {
  private pending: Pending[] = []
  private flushing = false

  constructor(
    private readonly storage: Storage,
    private readonly maxBatch = 256,
  ) {}

  submit(write: InspectionWrite): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ write, resolve, reject })
      if (!this.flushing) void this.flush()
    })
  }

  private async flush(): Promise<void> {
    this.flushing = true
    try {
      while (this.pending.length > 0) {
        const group = this.pending.splice(0, this.maxBatch)
        try {
          await this.commit(group.map((p) => p.write))
          for (const p of group) p.resolve()
        } catch (err) {
          if (group.length === 1) {
            group[0]!.reject(err)
            continue
          }
          for (const p of group) await this.commit([p.write]).then(p.resolve, p.reject)
        }
      }
    } finally {
      this.flushing = false
    }
  }

  private commit(writes: InspectionWrite[]): Promise<void> {
    return this.storage.transaction(async (tx) => {
      await tx.edgeInspections.insertMany(writes.map((w) => w.inspection))
      const last = writes[writes.length - 1]!.at
      await tx.edgeOutbox.add(
        writes.flatMap((w) => w.outbox),
        last,
      )
    })
  }
}
