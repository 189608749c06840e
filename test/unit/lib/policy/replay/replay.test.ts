import { describe, expect, it } from 'vitest'
import { summariseRow } from '../../../../../lib/inference/postprocess.ts'
import { auditDraw, type Decision, decide, type RungOutput } from '../../../../../lib/policy/index.ts'
import {
  calibrationSet,
  loggedSet,
  ReplayError,
  replayEdge,
  replayPolicy,
  settle,
} from '../../../../../lib/policy/replay/index.ts'
import { policy } from '../fixtures.ts'
import { hand, labels, oneHot, records } from './fixtures.ts'

function handSet(ids?: string[]) {
  return calibrationSet({
    edge: records('edge', hand.truth, { 16: hand.edge16, 64: hand.edge64 }, ids),
    cloud: records(
      'cloud',
      hand.truth,
      { 64: hand.cloud64.map(oneHot), 256: hand.cloud256.map(oneHot) },
      ids,
    ),
    question: null,
    edgeLatencyMs: hand.edgeLatencyMs,
    cloudLatencyMs: hand.cloudLatencyMs,
    dataset: 'hand',
  })
}

/** edge 16 → 64 at minConfidence 0.8, cloud 256; 0.01 per 1k edge tokens, 0.02 per 1k cloud tokens; no audit. */
const handPolicy = (over: Parameters<typeof policy>[0] = {}) =>
  policy({ costPer1kTokens: { edge: 0.01, cloud: 0.02 }, ...over })

describe('replayPolicy on the hand-computed case (fixtures.ts)', () => {
  it('gives the figures computed on paper', () => {
    // img-1, img-2, img-3 sure at 16 → accepted: ok ✓, scratch ✓, ok ✗ (a pit).
    // img-4 unsure at 16 → climbs → scratch sure at 64 ✓.
    // img-5, img-6 unsure at 16 → climb → still unsure at 64 → escalate → cloud@256 pit ✓, ok ✓.
    // accuracy 5/6; escalation 2/6; climbs 3/6.
    // edge tokens 3·16 + 3·(16 + 64) = 288 → 288/6·1000 = 48,000 per 1k images
    // cloud tokens 2·256 = 512 → 85,333.3 per 1k; cost 48·0.01 + 85.333·0.02 = 0.48 + 1.70667 = 2.18667
    // latency ms: 1, 1, 1, 1+3, 1+3+10, 1+3+10 → mean 35/6, p95 (6th of 6) 14
    // recall: ok 2/2 (img-1, img-6), scratch 2/2, pit 1/2 (img-3 missed)
    const r = replayPolicy(handSet(), handPolicy())
    expect(r.images).toBe(6)
    expect(r.accuracy).toBe(5 / 6)
    expect(r.escalationRate).toBe(2 / 6)
    expect(r.climbRate).toBe(3 / 6)
    expect(r.holdRate).toBe(0)
    expect(r.edgeTokensPer1k).toBe(48_000)
    expect(r.cloudTokensPer1k).toBeCloseTo(85_333.333, 3)
    expect(r.costPer1k).toBeCloseTo(2.186667, 6)
    expect(r.latencyMsMean).toBeCloseTo(35 / 6, 12)
    expect(r.latencyMsP95).toBe(14)
    expect(r.perClassRecall).toEqual({ ok: 1, scratch: 1, pit: 0.5 })
    expect(r.reasons).toMatchObject({ confidence: 2, audit: 0 })
    expect([...r.correct]).toEqual([1, 1, 0, 1, 1, 1])
  })

  it('settles the same edge pass at another cloud budget', () => {
    // cloud@64 answers img-5 ok ✗ and img-6 scratch ✗: accuracy 3/6; cloud tokens 2·64 = 128 →
    // 21,333.3 per 1k → cost 0.48 + 0.42667 = 0.90667; latency 1,1,1,4,8,8 → mean 23/6
    const set = handSet()
    const r = settle(set, replayEdge(set, handPolicy()), 64)
    expect(r.accuracy).toBe(3 / 6)
    expect(r.costPer1k).toBeCloseTo(0.906667, 6)
    expect(r.latencyMsMean).toBeCloseTo(23 / 6, 12)
    expect(r.policy.cloud.budget).toBe(64)
  })

  it('follows decide() called directly, image by image and rung by rung', () => {
    const set = handSet()
    const p = handPolicy({
      escalation: {
        thresholds: { minConfidence: 0.8, minMargin: 0.3 },
        perClass: { pit: { minConfidence: 0.6 } },
        alwaysEscalate: [],
        auditRate: 0,
      },
    })
    const pass = replayEdge(set, p)
    const rows: Record<number, number[][]> = { 16: hand.edge16, 64: hand.edge64 }
    hand.truth.forEach((_, i) => {
      const rungs: RungOutput[] = []
      let budget = 16
      let d: Decision
      for (;;) {
        const s = summariseRow(Float32Array.from(rows[budget]![i]!), 0, labels.length)
        rungs.push({
          budget,
          label: labels[s.top]!,
          confidence: s.confidence,
          margin: s.margin,
          entropy: s.entropy,
        })
        d = decide({ policy: p, inspectionId: `img-${i + 1}`, rungs, cloudTokensThisHour: 0 })
        if (d.action !== 'climb') break
        budget = d.nextBudget
      }
      expect(pass.action[i], `img-${i + 1}`).toBe({ accept: 0, escalate: 1, hold: 2 }[d.action])
      expect(labels[pass.edgeLabel[i]!]).toBe(d.label)
    })
  })

  it('audits the confident images decide() draws under the audit rate, answered by the cloud', () => {
    const ids = hand.truth.map((_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)
    const rate = 0.5
    const set = handSet(ids)
    const r = replayPolicy(
      set,
      handPolicy({
        escalation: { thresholds: { minConfidence: 0.8 }, perClass: {}, alwaysEscalate: [], auditRate: rate },
      }),
    )
    // img-1..img-4 end confident (img-4 at 64); each goes to the cloud when its draw is under 0.5.
    const audited = [0, 1, 2, 3].filter((i) => auditDraw(ids[i]!) < rate)
    expect(r.reasons.audit).toBe(audited.length)
    expect(r.escalationRate).toBe((2 + audited.length) / 6)
    // img-3 (a pit the edge calls ok) is right only when audited: the cloud@256 says pit.
    expect(r.correct[2]).toBe(audited.includes(2) ? 1 : 0)
  })

  it('holds what would go to the cloud under egress none: a person decides, no cloud tokens', () => {
    const r = replayPolicy(handSet(), handPolicy({ egress: { mode: 'none' } }))
    expect(r.holdRate).toBe(2 / 6)
    expect(r.escalationRate).toBe(0)
    expect(r.cloudTokensPer1k).toBe(0)
    expect(r.accuracy).toBe(5 / 6)
  })

  it('refuses budgets or models the records do not have', () => {
    const set = handSet()
    const bad = [
      handPolicy({ edge: { model: 'edge-vit-s', budget: 36, ladder: [] } }),
      handPolicy({ cloud: { model: 'cloud-vit-m', budget: 100 } }),
      handPolicy({ edge: { model: 'other-edge', budget: 16, ladder: [] } }),
    ]
    for (const p of bad) {
      expect(() => replayPolicy(set, p)).toThrow(ReplayError)
      try {
        replayPolicy(set, p)
      } catch (err) {
        expect((err as ReplayError).code).toBe('REPLAY_INPUT_INVALID')
      }
    }
  })

  it('refuses edge and cloud records over different images', () => {
    expect(() =>
      calibrationSet({
        edge: records('edge', hand.truth, { 16: hand.edge16 }),
        cloud: records(
          'cloud',
          hand.truth,
          { 256: hand.cloud256.map(oneHot) },
          hand.truth.map((_, i) => `other-${i}`),
        ),
        question: null,
        dataset: 'x',
      }),
    ).toThrow(/same images/)
  })
})

describe('replay over logged inspections', () => {
  const cases = [
    // Confident ok, reviewed ok: stays right whatever the thresholds.
    { id: 'a', p: { ok: 0.95, scratch: 0.03, pit: 0.02 }, cloud: null, review: 'ok' },
    // Unsure (0.6), went to the cloud live: the cloud said scratch, a person said scratch.
    { id: 'b', p: { ok: 0.6, scratch: 0.3, pit: 0.1 }, cloud: 'scratch', review: 'scratch' },
    // Confident pit (0.85), the cloud disagreed (audit): reference = cloud ok (no review).
    { id: 'c', p: { ok: 0.1, scratch: 0.05, pit: 0.85 }, cloud: 'ok', review: null },
    // No reference: left out.
    { id: 'd', p: { ok: 0.5, scratch: 0.5, pit: 0 }, cloud: null, review: null },
  ]
  const set = loggedSet({
    cases: cases.map((c) => ({
      id: c.id,
      edgeProbabilities: c.p,
      edgeBudget: 64,
      edgeTokens: 80,
      edgeLatencyMs: 2,
      cloudLabel: c.cloud,
      cloudLatencyMs: c.cloud === null ? null : 20,
      reviewLabel: c.review,
    })),
    labels,
    edgeModel: 'edge-vit-s',
    cloudModel: 'cloud-vit-m',
    question: null,
    dataset: 'logged',
  })

  it('keeps cases with a reference, reviews first', () => {
    expect(set.ids).toEqual(['a', 'b', 'c'])
    expect([...set.truth].map((t) => labels[t])).toEqual(['ok', 'scratch', 'ok'])
    expect(set.notes.join(' ')).toMatch(/1 logged cases without a review or cloud verdict/)
  })

  it('replays thresholds at the logged rung: 0.5 keeps b on the edge, 0.9 sends c to the cloud', () => {
    const loose = replayPolicy(
      set,
      policy({
        escalation: { thresholds: { minConfidence: 0.5 }, perClass: {}, alwaysEscalate: [], auditRate: 0 },
      }),
    )
    // a ✓ (ok), b edge ok ✗, c edge pit ✗ → 1/3, nothing escalated, edge tokens as logged (80 each)
    expect(loose.accuracy).toBe(1 / 3)
    expect(loose.escalationRate).toBe(0)
    expect(loose.edgeTokensPer1k).toBe(80_000)
    const strict = replayPolicy(
      set,
      policy({
        escalation: { thresholds: { minConfidence: 0.9 }, perClass: {}, alwaysEscalate: [], auditRate: 0 },
      }),
    )
    // a stays (0.95); b and c escalate → cloud scratch ✓, cloud ok ✓ → 3/3; no climbing
    expect(strict.accuracy).toBe(1)
    expect(strict.escalationRate).toBe(2 / 3)
    expect(strict.climbRate).toBe(0)
    expect(strict.cloudTokensPer1k).toBeCloseTo((2 * 256 * 1000) / 3, 6)
    expect(strict.latencyMsMean).toBeCloseTo((2 + 22 + 22) / 3, 12)
  })
})
