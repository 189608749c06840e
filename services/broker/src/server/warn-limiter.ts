/**
 * Lets one warning per key through per interval and counts the rest, so a client retrying an
 * unsupported request in a loop costs one log line per interval, not one per try.
 */
export class WarnLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>()

  /**
   * @param intervalMs at most one warning per key in this window (ms)
   * @param maxKeys keys remembered; the oldest is forgotten past this (bounded memory)
   */
  constructor(
    private readonly intervalMs = 60_000,
    private readonly maxKeys = 1024,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns null to stay quiet, or how many warnings for `key` were suppressed since the last one. */
  take(key: string): { suppressed: number } | null {
    const t = this.now()
    const entry = this.last.get(key)
    if (entry && t - entry.at < this.intervalMs) {
      entry.suppressed++
      return null
    }
    const suppressed = entry?.suppressed ?? 0
    this.last.delete(key)
    this.last.set(key, { at: t, suppressed: 0 })
    if (this.last.size > this.maxKeys) this.last.delete(this.last.keys().next().value!)
    return { suppressed }
  }
}
