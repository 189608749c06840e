import { setTimeout as sleep } from 'node:timers/promises'

export type RetryOptions = {
  /** Total attempts including the first; default 10. */
  attempts?: number
  /** First delay (ms); doubles each attempt up to `maxDelayMs`; default 200. */
  initialDelayMs?: number
  /** Delay cap (ms); default 5000. */
  maxDelayMs?: number
  /** Called before each wait, e.g. to log "database not up yet". */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void
  /** Return false to stop retrying this error at once; default retries everything. */
  shouldRetry?: (err: unknown) => boolean
}

/** Runs `fn` with exponential backoff and full jitter, for a broker or database that comes up late. */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 10
  let delay = options.initialDelayMs ?? 200
  const maxDelay = options.maxDelayMs ?? 5000
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      if (attempt >= attempts || options.shouldRetry?.(err) === false) throw err
      const wait = Math.round(delay / 2 + (Math.random() * delay) / 2)
      options.onRetry?.(err, attempt, wait)
      await sleep(wait)
      delay = Math.min(delay * 2, maxDelay)
    }
  }
}
