/** Buckets kept before idle (full) ones are dropped; bounds memory under many keys or addresses. */
const MAX_BUCKETS = 10_000

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number }

/**
 * Token buckets by key (an API key id, or `addr:<ip>` for unauthenticated attempts): each holds
 * up to `burst` requests and refills at `perSecond`. `perSecond` 0 turns limiting off.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    /** Milliseconds from any fixed origin (monotonic). */
    private readonly now: () => number = () => performance.now(),
  ) {}

  get enabled(): boolean {
    return this.perSecond > 0
  }

  /** Takes one request from `key`'s bucket, or says how long until one is there. */
  take(key: string): RateDecision {
    if (!this.enabled) return { ok: true }
    const bucket = this.refill(key)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return { ok: true }
    }
    return { ok: false, retryAfterSeconds: this.wait(bucket.tokens) }
  }

  /** Whether `key` has a request left, without taking it. */
  peek(key: string): RateDecision {
    if (!this.enabled) return { ok: true }
    const bucket = this.buckets.get(key)
    if (!bucket) return { ok: true }
    const tokens = Math.min(this.burst, bucket.tokens + ((this.now() - bucket.at) / 1000) * this.perSecond)
    return tokens >= 1 ? { ok: true } : { ok: false, retryAfterSeconds: this.wait(tokens) }
  }

  get size(): number {
    return this.buckets.size
  }

  private refill(key: string): { tokens: number; at: number } {
    const now = this.now()
    let bucket = this.buckets.get(key)
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) this.dropFull(now)
      bucket = { tokens: this.burst, at: now }
      this.buckets.set(key, bucket)
      return bucket
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond)
    bucket.at = now
    return bucket
  }

  /** Whole seconds until one token is back (the `retry-after` header's unit), at least 1. */
  private wait(tokens: number): number {
    return Math.max(1, Math.ceil((1 - tokens) / this.perSecond))
  }

  /** A bucket that has refilled to `burst` holds nothing worth keeping. */
  private dropFull(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key)
    }
    // Still full of busy buckets (a flood of addresses): forget the oldest half rather than grow.
    if (this.buckets.size >= MAX_BUCKETS) {
      let drop = this.buckets.size / 2
      for (const key of this.buckets.keys()) {
        if (drop-- <= 0) break
        this.buckets.delete(key)
      }
    }
  }
}
