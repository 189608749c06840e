import { describe, expect, it } from 'vitest'
import {
  calibrationSet,
  describePolicy,
  evaluateGrid,
  evaluateGridAsync,
  paretoFrontier,
  ReplayError,
  recommend,
  replayPolicy,
  verifyFrontier,
} from '../../../../../lib/policy/replay/index.ts'
import { policy } from '../fixtures.ts'
import { hand, oneHot, records } from './fixtures.ts'

const set = calibrationSet({
  edge: records('edge', hand.truth, { 16: hand.edge16, 64: hand.edge64 }),
  cloud: records('cloud', hand.truth, { 64: hand.cloud64.map(oneHot), 256: hand.cloud256.map(oneHot) }),
  question: null,
  edgeLatencyMs: hand.edgeLatencyMs,
  cloudLatencyMs: hand.cloudLatencyMs,
  dataset: 'hand',
})
const base = policy({ costPer1kTokens: { edge: 0.01, cloud: 0.02 } })

/**
 * The grid over the hand case with minConfidence ∈ {none, 0.8}: shapes 16, 16 → 64, 64 × cloud 64, 256
 * = 12 candidates (cost per 1k = edge tokens/image · 0.01 + cloud tokens/image · 0.02):
 *   none: nothing escalates. 16 (either ladder): ok scr ok ok ok ok → 3/6 right, 16 tok → 0.16
 *         64: ok scr pit scr pit scr → 5/6, 64 tok → 0.64
 *   0.8:  16: img-4,5,6 escalate → @64 2/6 for 0.16 + 3·64/6·0.02 = 0.80; @256 5/6 for 0.16 + 2.56 = 2.72
 *         16 → 64: img-5,6 escalate → @64 3/6 for 0.48 + 0.42667 = 0.90667; @256 5/6 for 2.18667
 *         64: img-3,5,6 escalate → @64 3/6 for 0.64 + 0.64 = 1.28; @256 6/6 for 0.64 + 2.56 = 3.20
 * Frontier (cost ↑, accuracy ↑): (0.16, 1/2) edge 16 · (0.64, 5/6) edge 64 · (3.20, 1) edge 64 at 0.8, cloud 256.
 */
describe('candidate grid, frontier and recommendation on the hand-computed case', () => {
  const grid = evaluateGrid(set, base, { minConfidence: [null, 0.8] })
  const frontier = paretoFrontier(grid.candidates)

  it('replays 12 candidates with the figures computed on paper', () => {
    expect(grid.candidates).toHaveLength(12)
    const find = (budget: number, ladder: number[], m: number | null, cloud: number) =>
      grid.candidates.find(
        (c) =>
          c.policy.edge.budget === budget &&
          c.policy.edge.ladder.join() === ladder.join() &&
          (c.policy.escalation.thresholds.minConfidence ?? null) === m &&
          c.policy.cloud.budget === cloud,
      )!
    const expected: [number, number[], number | null, number, number, number][] = [
      [16, [], null, 64, 3 / 6, 0.16],
      [16, [64], null, 256, 3 / 6, 0.16],
      [64, [], null, 256, 5 / 6, 0.64],
      [16, [], 0.8, 64, 2 / 6, 0.8],
      [16, [], 0.8, 256, 5 / 6, 2.72],
      [16, [64], 0.8, 64, 3 / 6, 0.906667],
      [16, [64], 0.8, 256, 5 / 6, 2.186667],
      [64, [], 0.8, 64, 3 / 6, 1.28],
      [64, [], 0.8, 256, 1, 3.2],
    ]
    for (const [budget, ladder, m, cloud, accuracy, cost] of expected) {
      const c = find(budget, ladder, m, cloud)
      expect(c.accuracy, describePolicy(c.policy)).toBe(accuracy)
      expect(c.costPer1k, describePolicy(c.policy)).toBeCloseTo(cost, 6)
    }
  })

  it('agrees with the rung-by-rung replay for every candidate', () => {
    for (const c of grid.candidates) {
      const r = replayPolicy(set, c.policy)
      expect({ ...r, correct: [...r.correct] }).toEqual({ ...c, correct: [...c.correct] })
    }
    expect(verifyFrontier(set, frontier)).toHaveLength(frontier.length)
  })

  it('gives the same candidates when computed in slices between event-loop turns', async () => {
    const sliced = await evaluateGridAsync(set, base, { minConfidence: [null, 0.8] })
    const figures = (c: (typeof grid.candidates)[number]) => JSON.stringify({ ...c, correct: [...c.correct] })
    expect(sliced.candidates.map(figures)).toEqual(grid.candidates.map(figures))
  })

  it('keeps the three Pareto points, ascending by cost', () => {
    expect(frontier.map((f) => [f.accuracy, Number(f.costPer1k.toFixed(6))])).toEqual([
      [3 / 6, 0.16],
      [5 / 6, 0.64],
      [1, 3.2],
    ])
    expect(frontier[1]!.policy.edge).toMatchObject({ budget: 64, ladder: [] })
    expect(frontier[2]!.policy.escalation.thresholds.minConfidence).toBe(0.8)
    expect(frontier[2]!.policy.cloud.budget).toBe(256)
  })

  it('recommends the cheapest policy reaching a target accuracy', () => {
    const r = recommend(frontier, { targetAccuracy: 0.9 }, (c) => describePolicy(c.policy))
    expect(r.recommended).toBe(frontier[2])
    expect(r.explanation).toBe(
      'cheapest policy with replayed accuracy ≥ 0.900: edge 64, minConfidence 0.8, cloud 256, audit 0, accuracy 1.000 for 3.2000 per 1,000 images',
    )
    expect(recommend(frontier, { targetAccuracy: 0.8 }, () => '').recommended).toBe(frontier[1])
  })

  it('recommends the most accurate policy under a cost cap, or says why none', () => {
    expect(recommend(frontier, { maxCostPer1k: 1 }, () => '').recommended).toBe(frontier[1])
    expect(recommend(frontier, { maxCostPer1k: 3.2 }, () => '').recommended).toBe(frontier[2])
    const none = recommend(frontier, { maxCostPer1k: 0.1 }, (c) => describePolicy(c.policy))
    expect(none.recommended).toBeNull()
    expect(none.explanation).toMatch(/no candidate costs 0\.1000 or less .* the cheapest is edge 16/)
    expect(recommend(frontier, { targetAccuracy: 1 }, () => '').recommended).toBe(frontier[2])
  })

  it('refuses both targets, neither, or one out of range with REPLAY_INPUT_INVALID', () => {
    const targets = [
      { targetAccuracy: 0.9, maxCostPer1k: 1 },
      {},
      { targetAccuracy: null, maxCostPer1k: null },
      { targetAccuracy: 1.5 },
      { maxCostPer1k: -1 },
    ]
    for (const t of targets) {
      let caught: unknown
      try {
        recommend(frontier, t, () => '')
      } catch (err) {
        caught = err
      }
      expect(caught, JSON.stringify(t)).toBeInstanceOf(ReplayError)
      expect((caught as ReplayError).code).toBe('REPLAY_INPUT_INVALID')
    }
  })

  it('bounds the grid: candidate count and computation time', () => {
    expect(() => evaluateGrid(set, base, { maxCandidates: 11, minConfidence: [null, 0.8] })).toThrow(
      /at most 11 candidate policies but the grid has 12/,
    )
    let t = 0
    // A clock that advances 10 ms per reading: the grid stops once 25 ms have passed.
    const slow = () => {
      t += 10
      return t
    }
    expect(() => evaluateGrid(set, base, { maxMs: 25, now: slow })).toThrow(/took over 25 ms/)
  })
})
