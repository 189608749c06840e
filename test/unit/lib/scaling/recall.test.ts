import { describe, expect, it } from 'vitest'
import { accuracyOf, perClassRecall } from '../../../../lib/scaling/recall.ts'

describe('perClassRecall', () => {
  it('counts hits per true class and leaves out classes without samples', () => {
    const labels = ['ok', 'scratch', 'pit']
    const truth = [0, 0, 0, 1, 1]
    const pred = [0, 1, 0, 1, 0]
    const r = perClassRecall(truth, pred, labels)
    expect(r.ok!.recall).toBeCloseTo(2 / 3, 12)
    expect(r.ok!.error).toBeCloseTo(1 / 3, 12)
    expect(r.ok!.count).toBe(3)
    expect(r.scratch).toEqual({ recall: 0.5, error: 0.5, count: 2 })
    expect(r.pit).toBeUndefined()
    expect(accuracyOf(truth, pred)).toBeCloseTo(0.6, 12)
  })
})
