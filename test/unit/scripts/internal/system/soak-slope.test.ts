import { describe, expect, it } from 'vitest'
import { slope } from '../../../../../scripts/internal/system/soak.ts'

describe('slope (the soak memory verdict fit)', () => {
  it('recovers a known line exactly, with zero standard error', () => {
    const points = [0, 0.1, 0.2, 0.3, 0.4].map((x) => ({ x, y: 26 + 3 * x }))
    const fit = slope(points)!
    expect(fit.slope).toBeCloseTo(3, 10)
    expect(fit.se).toBeCloseTo(0, 10)
  })

  it('gives a standard error that grows with scatter', () => {
    const noisy = [0, 0.1, 0.2, 0.3, 0.4, 0.5].map((x, i) => ({ x, y: 26 + (i % 2 === 0 ? 0.5 : -0.5) }))
    const fit = slope(noisy)!
    // Alternating ±0.5 MB around a flat line over half an hour: slope near 0, SE about 1.5 MB/h.
    expect(Math.abs(fit.slope)).toBeLessThan(fit.se * 2)
    expect(fit.se).toBeGreaterThan(0.5)
  })

  it('needs three points spread in time', () => {
    expect(
      slope([
        { x: 0, y: 1 },
        { x: 1, y: 2 },
      ]),
    ).toBeNull()
    expect(
      slope([
        { x: 1, y: 1 },
        { x: 1, y: 2 },
        { x: 1, y: 3 },
      ]),
    ).toBeNull()
  })
})
