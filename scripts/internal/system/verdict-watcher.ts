import pg from 'pg'

export type Settled = {
  /** ms on the traffic clock when the final verdict was first seen in the gateway's database. */
  seenAt: number
  /** Submit → final verdict visible in the gateway, ms (resolution: the poll interval). */
  latencyMs: number
  decidedBy: string
}

/**
 * Watches the gateway's database for the final verdict of each accepted inspection: every
 * `intervalMs` it asks which of the still-open ids have a verdict. "Visible in the gateway" is
 * exactly this: a row with a verdict, which GraphQL serves.
 */
export class VerdictWatcher {
  readonly settled = new Map<string, Settled>()
  private readonly open = new Map<string, number>()
  private readonly pool: pg.Pool
  private timer: NodeJS.Timeout | undefined
  private polling: Promise<void> | undefined
  /** Database errors while polling (the gateway's database is not what is being killed, but say so). */
  errors = 0

  constructor(
    databaseUrl: string,
    private readonly now: () => number,
    private readonly intervalMs = 500,
  ) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 2 })
    // An idle connection dropped by the server (the database dropped after a failed run) must not crash the run.
    this.pool.on('error', () => {
      this.errors++
    })
  }

  /** Follows `id`, submitted at `sentAt` (traffic clock, ms). */
  watch(id: string, sentAt: number): void {
    if (!this.settled.has(id)) this.open.set(id, sentAt)
  }

  get openCount(): number {
    return this.open.size
  }

  /** Whether every id in `ids` has a final verdict. */
  allSettled(ids: Iterable<string>): boolean {
    for (const id of ids) if (!this.settled.has(id)) return false
    return true
  }

  start(): void {
    const tick = () => {
      this.polling = this.poll().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.intervalMs)
      })
    }
    this.timer = setTimeout(tick, this.intervalMs)
  }

  async close(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    await this.polling
    await this.pool.end()
  }

  async poll(): Promise<void> {
    if (this.open.size === 0) return
    try {
      const { rows } = await this.pool.query<{ id: string; decided_by: string }>(
        'select id, decided_by from inspections where id = any($1::uuid[]) and verdict is not null',
        [[...this.open.keys()]],
      )
      const seenAt = this.now()
      for (const row of rows) {
        const sentAt = this.open.get(row.id)
        if (sentAt === undefined) continue
        this.open.delete(row.id)
        this.settled.set(row.id, { seenAt, latencyMs: seenAt - sentAt, decidedBy: row.decided_by })
      }
    } catch {
      this.errors++
    }
  }
}
