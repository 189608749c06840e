import { describe, expect, it } from 'vitest'
import { WarnLimiter } from '../../../../../services/broker/src/server/warn-limiter.ts'

describe('WarnLimiter', () => {
  it('lets one warning per key through per interval and reports how many it swallowed', () => {
    let now = 0
    const limiter = new WarnLimiter(60_000, 1024, () => now)
    expect(limiter.take('a')).toEqual({ suppressed: 0 })
    for (let i = 0; i < 500; i++) expect(limiter.take('a')).toBeNull()
    expect(limiter.take('b')).toEqual({ suppressed: 0 })
    now = 60_000
    expect(limiter.take('a')).toEqual({ suppressed: 500 })
    expect(limiter.take('a')).toBeNull()
  })

  it('remembers at most maxKeys keys', () => {
    const limiter = new WarnLimiter(60_000, 2, () => 0)
    limiter.take('a')
    limiter.take('b')
    limiter.take('c')
    expect(limiter.take('a')).toEqual({ suppressed: 0 })
    expect(limiter.take('c')).toBeNull()
  })
})
