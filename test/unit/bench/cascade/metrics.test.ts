import { describe, expect, it } from 'vitest'
import {
  checkPromise,
  pairedDifferenceInterval,
  paretoNames,
  percentile,
  policyFigures,
  type SettledCase,
} from '../../../../bench/cascade/metrics.ts'

const settled = (truth: string, verdict: string, o: Partial<SettledCase> = {}): SettledCase => ({
  truth,
  verdict,
  escalated: false,
  ladder: [16],
  edgeTokens: 16,
  cloudTokens: 0,
  cost: 0.016,
  latencyMs: 10,
  twoDefects: false,
  ...o,
})

describe('policyFigures', () => {
  it('counts accuracy, recall, missed defects, escalations, tokens per 1,000 images and latency', () => {
    const f = policyFigures([
      settled('ok', 'ok'),
      settled('pit', 'ok', { twoDefects: true }),
      settled('pit', 'pit', { escalated: true, cloudTokens: 256, latencyMs: 400, ladder: [16, 64] }),
      settled('stain', 'stain', { latencyMs: 20 }),
    ])
    expect(f.accuracy).toBe(0.75)
    expect(f.accuracyOneDefect).toBe(1)
    expect(f.accuracyTwoDefects).toBe(0)
    expect(f.perClassRecall).toEqual({ ok: 1, pit: 0.5, stain: 1 })
    expect(f.missedDefectRate).toBeCloseTo(1 / 3, 12)
    expect(f.escalationRate).toBe(0.25)
    expect(f.climbRate).toBe(0.25)
    expect(f.cloudTokensPer1k).toBe(64_000)
    expect(f.edgeTokensPer1k).toBe(16_000)
    expect(f.latencyMsP50).toBe(10)
    expect(f.latencyMsP99).toBe(400)
    expect([...f.correct]).toEqual([1, 0, 1, 1])
  })
})

describe('percentile', () => {
  it('is the nearest rank', () => {
    expect(percentile([5, 1, 3, 2, 4], 0.5)).toBe(3)
    expect(percentile([1, 2, 3, 4], 0.99)).toBe(4)
    expect(percentile([], 0.5)).toBe(0)
  })
})

describe('paretoNames and checkPromise', () => {
  const cloud = { name: 'all-cloud', accuracy: 0.9, cloudTokensPer1k: 256_000 }
  const points = [
    { name: 'edge', accuracy: 0.5, cloudTokensPer1k: 0 },
    { name: 'cheap', accuracy: 0.885, cloudTokensPer1k: 30_000 },
    { name: 'dominated', accuracy: 0.8, cloudTokensPer1k: 100_000 },
    { name: 'close', accuracy: 0.895, cloudTokensPer1k: 60_000 },
    cloud,
  ]
  it('keeps only points no other beats on both axes', () => {
    expect(paretoNames(points)).toEqual(['edge', 'cheap', 'close', 'all-cloud'])
  })
  it('picks the cheapest policy within one point, and says MET only under 15 % of all-cloud tokens', () => {
    const check = checkPromise(cloud, points.slice(0, 4))
    expect(check.absolute).toMatchObject({ name: 'close', tokenFraction: 60_000 / 256_000 })
    expect(check.relative?.name).toBe('close')
    expect(check.met).toBe(false)
    const met = checkPromise(cloud, [{ name: 'great', accuracy: 0.89, cloudTokensPer1k: 38_400 }])
    expect(met.met).toBe(true)
    expect(checkPromise(cloud, [points[0]!]).absolute).toBeNull()
  })
})

describe('pairedDifferenceInterval', () => {
  it('brackets the paired difference and is zero-width when the two agree everywhere', () => {
    const a = Uint8Array.from({ length: 400 }, (_, i) => (i % 10 < 9 ? 1 : 0))
    const b = Uint8Array.from({ length: 400 }, (_, i) => (i % 10 < 8 ? 1 : 0))
    const [low, high] = pairedDifferenceInterval(a, b)
    expect(low).toBeLessThanOrEqual(0.1)
    expect(high).toBeGreaterThanOrEqual(0.1)
    expect(low).toBeGreaterThan(0.05)
    expect(pairedDifferenceInterval(a, a)).toEqual([0, 0])
  })
})
