/** Cloud tokens committed per line in the current clock hour (UTC), for the policy's hourly cap. */
export type HourlyWindow = { hourStartMs: number; tokens: number }

/**
 * Counts cloud tokens per line per clock hour. The window resets at the top of each hour (UTC);
 * the clock is passed in, so tests and replays control it.
 */
export class TokenCounter {
  private readonly windows = new Map<string, HourlyWindow>()

  /** Tokens `lineId` has committed in the hour containing `nowMs`. */
  used(lineId: string, nowMs: number): number {
    const w = this.windows.get(lineId)
    return w !== undefined && w.hourStartMs === hourStart(nowMs) ? w.tokens : 0
  }

  add(lineId: string, tokens: number, nowMs: number): void {
    const start = hourStart(nowMs)
    const w = this.windows.get(lineId)
    // A late add for an hour already over changes nothing the cap still looks at.
    if (w !== undefined && start < w.hourStartMs) return
    if (w === undefined || w.hourStartMs !== start) this.windows.set(lineId, { hourStartMs: start, tokens })
    else w.tokens += tokens
  }
}

function hourStart(ms: number): number {
  return ms - (ms % 3_600_000)
}
