import { describe, expect, it } from 'vitest'
import { fitGrowthLaw, fitPowerLaw, predictError } from '../../../../lib/scaling/power-law.ts'

describe('fitPowerLaw', () => {
  it('recovers c and α exactly from noiseless power-law points, with R² = 1', () => {
    const c = 3.2
    const alpha = 0.45
    const points = [4, 16, 64, 256, 1024].map((budget) => ({
      budget,
      error: c * budget ** -alpha,
      count: 1000,
    }))
    const { fit, clamped } = fitPowerLaw(points)
    expect(fit.c).toBeCloseTo(c, 10)
    expect(fit.alpha).toBeCloseTo(alpha, 10)
    expect(fit.r2).toBeCloseTo(1, 12)
    expect(clamped).toEqual([])
    expect(predictError(fit, 100)).toBeCloseTo(c * 100 ** -alpha, 10)
  })

  it('computes R² of the log-log fit for scattered points', () => {
    const points = [
      { budget: 16, error: 0.5, count: 100 },
      { budget: 64, error: 0.2, count: 100 },
      { budget: 256, error: 0.25, count: 100 },
    ]
    const { fit } = fitPowerLaw(points)
    const x = points.map((p) => Math.log(p.budget))
    const y = points.map((p) => Math.log(p.error))
    const mx = x.reduce((a, b) => a + b) / 3
    const my = y.reduce((a, b) => a + b) / 3
    const slope =
      x.reduce((s, xi, i) => s + (xi - mx) * (y[i]! - my), 0) / x.reduce((s, xi) => s + (xi - mx) ** 2, 0)
    const pred = x.map((xi) => my + slope * (xi - mx))
    const r2 =
      1 - y.reduce((s, yi, i) => s + (yi - pred[i]!) ** 2, 0) / y.reduce((s, yi) => s + (yi - my) ** 2, 0)
    expect(fit.alpha).toBeCloseTo(-slope, 10)
    expect(fit.r2).toBeCloseTo(r2, 10)
    expect(fit.r2!).toBeLessThan(1)
  })

  it('gives R² null with fewer than three points and still fits two exactly', () => {
    const { fit } = fitPowerLaw([
      { budget: 16, error: 0.4, count: 50 },
      { budget: 64, error: 0.1, count: 50 },
    ])
    expect(fit.r2).toBeNull()
    expect(fit.alpha).toBeCloseTo(1, 10)
    expect(fit.c).toBeCloseTo(6.4, 10)
  })

  it('clamps a zero error to 0.5 / count and says so', () => {
    const { fit, clamped } = fitPowerLaw([
      { budget: 16, error: 0.08, count: 200 },
      { budget: 64, error: 0.02, count: 200 },
      { budget: 256, error: 0, count: 200 },
    ])
    expect(clamped).toEqual([256])
    const expected = fitPowerLaw([
      { budget: 16, error: 0.08, count: 200 },
      { budget: 64, error: 0.02, count: 200 },
      { budget: 256, error: 0.0025, count: 200 },
    ])
    expect(fit.alpha).toBeCloseTo(expected.fit.alpha, 12)
  })

  it('returns a flat law with R² null when the error does not change', () => {
    const { fit } = fitPowerLaw([16, 64, 256].map((budget) => ({ budget, error: 0.1, count: 10 })))
    expect(fit.alpha).toBe(0)
    expect(fit.c).toBeCloseTo(0.1, 12)
    expect(fit.r2).toBeNull()
  })

  it('skips points without samples', () => {
    const { used, fit } = fitPowerLaw([
      { budget: 16, error: 0.3, count: 0 },
      { budget: 64, error: 0.2, count: 10 },
    ])
    expect(used).toBe(1)
    expect(fit).toEqual({ c: 0.2, alpha: 0, r2: null })
  })
})

describe('fitGrowthLaw', () => {
  it('recovers a rising recall(N) = c·N^α exactly, α positive', () => {
    const points = [16, 36, 64, 100, 144, 196, 256].map((budget) => ({
      budget,
      value: 0.1 * budget ** 0.3,
      count: 400,
    }))
    const { fit } = fitGrowthLaw(points)
    expect(fit.alpha).toBeCloseTo(0.3, 10)
    expect(fit.c).toBeCloseTo(0.1, 10)
    expect(fit.r2).toBeCloseTo(1, 12)
  })

  it('calls a class at its ceiling flat although its error-form α is large', () => {
    // A stain-like class: 5 → 2 errors out of 400 between 16 and 256 tokens.
    const recall = [
      { budget: 16, value: 395 / 400, count: 400 },
      { budget: 64, value: 397 / 400, count: 400 },
      { budget: 256, value: 398 / 400, count: 400 },
    ]
    const growth = fitGrowthLaw(recall).fit.alpha
    const error = fitPowerLaw(recall.map((p) => ({ budget: p.budget, error: 1 - p.value, count: p.count })))
      .fit.alpha
    expect(growth).toBeGreaterThan(0)
    expect(growth).toBeLessThan(0.005)
    expect(error).toBeGreaterThan(0.3)
  })

  it('clamps a zero recall to half a hit and says so', () => {
    const { clamped, used } = fitGrowthLaw([
      { budget: 16, value: 0, count: 50 },
      { budget: 64, value: 0.5, count: 50 },
    ])
    expect(clamped).toEqual([16])
    expect(used).toBe(2)
  })
})
