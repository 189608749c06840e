import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  type CalibrationRecordsV1,
  calibrationRecordsV1,
} from '../../../../../lib/contracts/calibration-records.v1.ts'
import { calibrationSet, evaluateGrid, replayPolicy } from '../../../../../lib/policy/replay/index.ts'
import { policy } from '../fixtures.ts'

const read = (path: string) => calibrationRecordsV1.parse(JSON.parse(readFileSync(path, 'utf8')))

/** Every `step`-th image of a records file (the set is one-defect parts, then two-defect parts). */
function every(r: CalibrationRecordsV1, step: number): CalibrationRecordsV1 {
  const k = r.labels.length
  const rows = r.images.ids.map((_, i) => i).filter((i) => i % step === 0)
  return {
    ...r,
    images: { ids: rows.map((i) => r.images.ids[i]!), truth: rows.map((i) => r.images.truth[i]!) },
    passes: r.passes.map((p) => ({
      ...p,
      budgets: p.budgets.map((b) => ({
        ...b,
        probabilities: rows.flatMap((i) => b.probabilities.slice(i * k, i * k + k)),
      })),
    })),
  }
}

describe('the committed calibration records (models/*/calibration.json)', () => {
  const edge = read('models/edge-vit-s/calibration.json')
  const cloud = read('models/cloud-vit-m/calibration.json')

  it('describe the same 2,000 held-out images at every budget of both models', () => {
    expect(edge.images.ids).toHaveLength(2000)
    expect(cloud.images.ids).toEqual(edge.images.ids)
    expect(edge.passes[0]!.budgets.map((b) => b.budget)).toEqual([16, 36, 64, 100, 144, 196, 256])
    expect(cloud.passes.map((p) => p.question)).toEqual([null, 'is there a stain?'])
    // Rows are probabilities: each sums to 1 within the rounding of 5 labels at 1e-5.
    const p = edge.passes[0]!.budgets[0]!.probabilities
    for (let i = 0; i < 50; i++) {
      const sum = p.slice(i * 5, i * 5 + 5).reduce((a, x) => a + x, 0)
      expect(Math.abs(sum - edge.scale)).toBeLessThanOrEqual(3)
    }
  })

  // Policies that exercise every rule of decide(): per-class overrides, margin, entropy,
  // always-escalate, audits, egress none. 125 images (both halves of the set) keep the
  // rung-by-rung comparison short.
  const bases = [
    policy({
      escalation: { thresholds: { minConfidence: 0.8 }, perClass: {}, alwaysEscalate: [], auditRate: 0.1 },
    }),
    policy({
      escalation: {
        thresholds: { minMargin: 0.3, maxEntropy: 0.9 },
        perClass: { pit: { minConfidence: 0.95 } },
        alwaysEscalate: ['crack'],
        auditRate: 0.05,
      },
      egress: { mode: 'none' },
    }),
  ]
  for (const [i, base] of bases.entries())
    it(`gives every grid candidate exactly the figures of the rung-by-rung replay (policy ${i + 1})`, () => {
      const set = calibrationSet({
        edge: every(edge, 16),
        cloud: every(cloud, 16),
        question: null,
        dataset: 'every 16th',
      })
      const grid = evaluateGrid(set, base, { minConfidence: [null, 0.6, 0.9], maxMs: 60_000 })
      expect(grid.candidates).toHaveLength(28 * 3 * 7)
      // Serialised figures (policy included) compared as strings: 588 deep equality checks are slow.
      const figures = (f: ReturnType<typeof replayPolicy>) =>
        JSON.stringify({ ...f, correct: [...f.correct] })
      const differing = grid.candidates.filter((c) => figures(replayPolicy(set, c.policy)) !== figures(c))
      expect(differing.map((c) => JSON.stringify(c.policy.edge))).toEqual([])
      expect(new Set(grid.candidates.map((c) => c.accuracy)).size).toBeGreaterThan(10)
    }, 60_000)
})
