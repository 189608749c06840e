import { describe, expect, it } from 'vitest'
import { exponentIntervals } from '../../../../lib/scaling/bootstrap.ts'

const labels = ['ok', 'fine', 'coarse']
const budgets = [16, 64, 256]

/**
 * 600 images, 200 per class. "fine" is found by 20 % / 40 % / 80 % of its images at the three
 * budgets (recall doubles per 4× tokens: recall-form α = 0.5); "coarse" misses 3 / 2 / 1 images
 * of 200 at every budget (at its ceiling); "ok" is always right.
 */
function predictions() {
  const truth = Array.from({ length: 600 }, (_, i) => Math.floor(i / 200))
  const fineRecall = [0.2, 0.4, 0.8]
  const coarseMisses = [3, 2, 1]
  return budgets.map((budget, b) => ({
    budget,
    truth,
    predicted: truth.map((t, i) => {
      const j = i % 200
      if (t === 1) return j < fineRecall[b]! * 200 ? 1 : 0
      if (t === 2) return j < coarseMisses[b]! ? 0 : 2
      return 0
    }),
  }))
}

describe('exponentIntervals', () => {
  it('brackets the steep class away from 0 and keeps the ceiling class near 0 in the recall form', () => {
    const iv = exponentIntervals(predictions(), labels, { draws: 300, seed: 7 })
    const [fLo, fHi] = iv.perClassRecall.fine!
    expect(fLo).toBeGreaterThan(0.35)
    expect(fHi).toBeLessThan(0.65)
    expect(fLo).toBeLessThanOrEqual(0.5)
    expect(fHi).toBeGreaterThanOrEqual(0.5)
    const [cLo, cHi] = iv.perClassRecall.coarse!
    expect(cLo).toBeGreaterThan(-0.02)
    expect(cHi).toBeLessThan(0.02)
    // The error form of the same class: 3 → 1 misses is a relative drop, and its interval is wide.
    const [eLo, eHi] = iv.perClass.coarse!
    expect(eHi - eLo).toBeGreaterThan(0.3)
    expect(iv.overall[0]).toBeLessThan(iv.overall[1])
  })

  it('is reproducible for a seed and moves with another seed', () => {
    const a = exponentIntervals(predictions(), labels, { draws: 100, seed: 3 })
    const b = exponentIntervals(predictions(), labels, { draws: 100, seed: 3 })
    const c = exponentIntervals(predictions(), labels, { draws: 100, seed: 4 })
    expect(a).toEqual(b)
    expect(c.perClassRecall.fine).not.toEqual(a.perClassRecall.fine)
  })

  it('refuses budgets that did not see the same images, and bad options', () => {
    const p = predictions()
    const shorter = [
      ...p.slice(0, 2),
      { ...p[2]!, truth: p[2]!.truth.slice(1), predicted: p[2]!.predicted.slice(1) },
    ]
    expect(() => exponentIntervals(shorter, labels)).toThrow(/same 600 images/)
    const shuffled = [...p.slice(0, 2), { ...p[2]!, truth: [...p[2]!.truth].reverse() }]
    expect(() => exponentIntervals(shuffled, labels)).toThrow(/image 0 differs at budget 256/)
    expect(() => exponentIntervals(p, labels, { level: 1 })).toThrow(RangeError)
    expect(() => exponentIntervals(p, labels, { draws: 1 })).toThrow(RangeError)
  })

  it('leaves out a class with no images', () => {
    const iv = exponentIntervals(predictions(), [...labels, 'absent'], { draws: 20 })
    expect(iv.perClass.absent).toBeUndefined()
    expect(iv.perClassRecall.absent).toBeUndefined()
  })
})
