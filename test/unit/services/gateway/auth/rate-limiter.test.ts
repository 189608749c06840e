import { describe, expect, it } from 'vitest'
import { RateLimiter } from '../../../../../services/gateway/src/auth/rate-limiter.ts'

describe('RateLimiter (token bucket)', () => {
  it('serves the burst, refuses with whole seconds to wait, and refills at the rate', () => {
    let now = 0
    const limiter = new RateLimiter(2, 3, () => now)
    expect([1, 2, 3].map(() => limiter.take('k').ok)).toEqual([true, true, true])
    expect(limiter.take('k')).toEqual({ ok: false, retryAfterSeconds: 1 })
    now += 500 // one token back at 2 per second
    expect(limiter.take('k').ok).toBe(true)
    expect(limiter.take('k').ok).toBe(false)
    now += 10_000 // refills to the burst, not beyond
    expect([1, 2, 3, 4].map(() => limiter.take('k').ok)).toEqual([true, true, true, false])
  })

  it('keeps one bucket per key, and peek takes nothing', () => {
    const limiter = new RateLimiter(0.1, 1, () => 0)
    expect(limiter.take('a').ok).toBe(true)
    expect(limiter.peek('a')).toEqual({ ok: false, retryAfterSeconds: 10 })
    expect(limiter.peek('b').ok).toBe(true)
    expect(limiter.take('b').ok).toBe(true)
    expect(limiter.take('b').ok).toBe(false)
  })

  it('limits nothing at rate 0', () => {
    const limiter = new RateLimiter(0, 1, () => 0)
    expect(Array.from({ length: 100 }, () => limiter.take('k').ok).every(Boolean)).toBe(true)
    expect(limiter.size).toBe(0)
  })

  it('drops refilled buckets instead of growing without bound', () => {
    let now = 0
    const limiter = new RateLimiter(1, 1, () => now)
    for (let i = 0; i < 10_000; i++) limiter.take(`addr:${i}`)
    expect(limiter.size).toBe(10_000)
    now += 2000
    limiter.take('addr:new')
    expect(limiter.size).toBe(1)
  })
})
