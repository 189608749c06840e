import { describe, expect, it } from 'vitest'
import { scalingReportV1 } from '../../../../lib/contracts/scaling-report.v1.ts'
import { isUpsampled, nativeBudget, nativeGrid } from '../../../../lib/scaling/native-resolution.ts'
import { buildScalingReport, type ScalingPoint } from '../../../../lib/scaling/report.ts'

const ladder = [16, 36, 64, 100, 144, 196, 256]

describe('native resolution', () => {
  it('marks a grid upsampled once it is a whole patch wider than the larger image side', () => {
    const fashion = { width: 28, height: 28 }
    expect(nativeGrid(fashion, 8)).toBe(4)
    expect(ladder.filter((b) => isUpsampled(b, 8, fashion))).toEqual([36, 64, 100, 144, 196, 256])
    expect(nativeBudget(ladder, 8, fashion)).toBe(16)
    // 96×64 px: the wider side counts (12 patches of 8 px); 144 tokens = 96 px is native.
    expect(nativeBudget(ladder, 8, { width: 96, height: 64 })).toBe(144)
    expect(isUpsampled(196, 8, { width: 96, height: 64 })).toBe(true)
    // Images larger than every grid: nothing upsampled.
    expect(ladder.some((b) => isUpsampled(b, 8, { width: 512, height: 512 }))).toBe(false)
    // Images smaller than the smallest grid: the smallest budget is still the one to use.
    expect(nativeBudget([64, 256], 8, { width: 20, height: 20 })).toBe(64)
    expect(() => nativeGrid(fashion, 0)).toThrow(RangeError)
  })
})

/** Accuracy that rises to 16 tokens' grid and falls after it, as issue 16's run on 28-px images. */
function points(): ScalingPoint[] {
  const acc: Record<number, number> = { 4: 0.6, 16: 0.8, 64: 0.7, 256: 0.65 }
  return Object.entries(acc).map(([b, a]) => ({
    budget: Number(b),
    accuracy: a,
    error: 1 - a,
    ece: 0.05,
    latencyMsPerImage: 1,
    tokensPerImage: Number(b),
    perClass: {
      ok: { recall: a, error: 1 - a, count: 50 },
      pit: { recall: a, error: 1 - a, count: 50 },
    },
  }))
}

const input = {
  model: 'm',
  modelSha256: 'a'.repeat(64),
  dataset: { path: 'data/x', count: 100 },
  question: null,
  command: 'test',
  points: points(),
}

describe('scaling report with the native resolution', () => {
  it('marks upsampled points and fits only the budgets at or below the native resolution', () => {
    const { report, notes } = buildScalingReport({
      ...input,
      native: { size: { width: 28, height: 28 }, patchSize: 8 },
    })
    expect(report.points.map((p) => [p.budget, p.upsampled])).toEqual([
      [4, false],
      [16, false],
      [64, true],
      [256, true],
    ])
    expect(report.dataset).toMatchObject({ nativeSize: { width: 28, height: 28 }, patchSize: 8 })
    expect(report.fits.budgets).toEqual([4, 16])
    expect(report.fits.includesUpsampled).toBe(false)
    // error 0.4 → 0.2 over 4 → 16 tokens: α = ln 2 / ln 4 = 0.5, falling error (no upsampled drag).
    expect(report.fits.overall.alpha).toBeCloseTo(0.5, 10)
    expect(notes[0]).toBe('budgets 64, 256 upsample the 28×28 px source images and are left out of the fits')
    expect(scalingReportV1.parse(report)).toEqual(report)
  })

  it('fits every budget when asked to, and marks nothing without a native size', () => {
    const all = buildScalingReport({
      ...input,
      native: { size: { width: 28, height: 28 }, patchSize: 8, includeUpsampled: true },
    }).report
    expect(all.fits.budgets).toEqual([4, 16, 64, 256])
    expect(all.fits.includesUpsampled).toBe(true)
    expect(all.fits.overall.alpha).toBeLessThan(0.5)
    const plain = buildScalingReport(input).report
    expect(plain.points.every((p) => p.upsampled === undefined)).toBe(true)
    expect(plain.fits.budgets).toBeUndefined()
    expect(plain.fits.overall.alpha).toBeCloseTo(all.fits.overall.alpha, 10)
  })

  it('keeps reports written before the native fields valid', () => {
    const { report } = buildScalingReport(input)
    const { nativeSize: _n, patchSize: _p, ...oldDataset } = report.dataset
    expect(scalingReportV1.safeParse({ ...report, dataset: oldDataset }).success).toBe(true)
  })
})
