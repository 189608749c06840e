/**
 * The inspection ids the verdict ledger remembers, each with its verdict's time (ms since the
 * epoch): at most `maxEntries`, and none older than `maxAgeMs`, oldest forgotten first.
 *
 * The map keeps insertion order, which is close to verdict-time order (the ledger reads each
 * partition in order; partitions interleave by up to a fetch), so forgetting drops from the front
 * while the front is too old and stops at the first young one: O(1) amortised per id, and an id is
 * never forgotten early, at worst a little late when an older one sits behind a younger one.
 */
export class AnsweredIds {
  private readonly ids = new Map<string, number>()

  /**
   * @param maxEntries most ids kept (the count cap)
   * @param maxAgeMs ids whose verdict is older than this are forgotten, ms
   * @param now the clock, ms since the epoch (tests inject one)
   */
  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  has(inspectionId: string): boolean {
    return this.ids.has(inspectionId)
  }

  /** Remembers `inspectionId`, answered at `at` (ms since the epoch; default now); a known id keeps its first time. */
  add(inspectionId: string, at = this.now()): void {
    if (!this.ids.has(inspectionId)) this.ids.set(inspectionId, at)
    this.forget()
  }

  get size(): number {
    return this.ids.size
  }

  private forget(): void {
    const oldest = this.now() - this.maxAgeMs
    for (const [id, at] of this.ids) {
      if (this.ids.size <= this.maxEntries && at >= oldest) break
      this.ids.delete(id)
    }
  }
}
