import { describe, expect, it } from 'vitest'
import { wilson95 } from '../../../../../services/gateway/src/graphql/internal/wilson.ts'

describe('wilson95', () => {
  it('matches published 95 % Wilson intervals', () => {
    // 8/10: 0.4902–0.9433; 2/3: 0.2077–0.9385 (Newcombe 1998, Table I method 3).
    const eight = wilson95(8, 10)!
    expect(eight.value).toBe(0.8)
    expect(eight.low).toBeCloseTo(0.4902, 4)
    expect(eight.high).toBeCloseTo(0.9433, 4)
    const two = wilson95(2, 3)!
    expect(two.low).toBeCloseTo(0.2077, 4)
    expect(two.high).toBeCloseTo(0.9385, 4)
    expect(two.samples).toBe(3)
  })

  it('stays inside [0, 1] at the ends and is null for no samples', () => {
    // 0/2: high = (z²/2) / (1 + z²/2) = 1.9207 / 2.9207.
    expect(wilson95(0, 2)).toEqual({ value: 0, low: 0, high: expect.closeTo(0.6576, 4), samples: 2 })
    expect(wilson95(5, 5)).toEqual({ value: 1, low: expect.closeTo(0.5655, 4), high: 1, samples: 5 })
    expect(wilson95(0, 0)).toBeNull()
  })
})
