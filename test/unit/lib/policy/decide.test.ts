import { describe, expect, it } from 'vitest'
import {
  auditDraw,
  deadlineOutcome,
  decide,
  type RungOutput,
  TokenCounter,
  thresholdsFor,
} from '../../../../lib/policy/index.ts'
import { policy } from './fixtures.ts'

const id = '2f1c6a52-7c1e-4b8e-9a55-0d5a0f6b2c11'
const rung = (over: Partial<RungOutput> = {}): RungOutput => ({
  budget: 16,
  label: 'ok',
  confidence: 0.95,
  margin: 0.9,
  entropy: 0.2,
  ...over,
})

/** Inspection ids whose audit draw is below / above `rate` (found by search, so the test is exact). */
function idsAround(rate: number): { under: string; over: string } {
  let under: string | undefined
  let over: string | undefined
  for (let i = 0; under === undefined || over === undefined; i++) {
    const candidate = `00000000-0000-4000-8000-${i.toString().padStart(12, '0')}`
    if (auditDraw(candidate) < rate) under ??= candidate
    else over ??= candidate
  }
  return { under, over }
}

describe('decide', () => {
  it('accepts a confident answer with no audit', () => {
    const d = decide({ policy: policy(), inspectionId: id, rungs: [rung()], cloudTokensThisHour: 0 })
    expect(d).toMatchObject({
      action: 'accept',
      why: 'confident',
      unsure: null,
      policyVersion: 4,
      budget: 16,
    })
  })

  it('climbs the ladder when unsure and a higher rung is left', () => {
    const d = decide({
      policy: policy(),
      inspectionId: id,
      rungs: [rung({ confidence: 0.5 })],
      cloudTokensThisHour: 0,
    })
    expect(d).toMatchObject({
      action: 'climb',
      nextBudget: 64,
      unsure: { rule: 'confidence', value: 0.5, threshold: 0.8 },
    })
  })

  it('escalates when still unsure at the top of the ladder, recording rule, value and threshold', () => {
    const d = decide({
      policy: policy(),
      inspectionId: id,
      rungs: [rung({ confidence: 0.5 }), rung({ budget: 64, confidence: 0.6 })],
      cloudTokensThisHour: 0,
    })
    expect(d).toMatchObject({
      action: 'escalate',
      reason: 'confidence',
      budget: 64,
      cloudTokens: 256,
      unsure: { rule: 'confidence', value: 0.6, threshold: 0.8 },
    })
  })

  it('accepts at the next rung when the sharper look is confident', () => {
    const d = decide({
      policy: policy(),
      inspectionId: id,
      rungs: [rung({ confidence: 0.5 }), rung({ budget: 64, confidence: 0.9 })],
      cloudTokensThisHour: 0,
    })
    expect(d).toMatchObject({ action: 'accept', why: 'confident', budget: 64 })
  })

  it('checks margin and entropy thresholds in that order after confidence', () => {
    const p = policy({
      edge: { model: 'e', budget: 16, ladder: [] },
      escalation: {
        thresholds: { minConfidence: 0.5, minMargin: 0.3, maxEntropy: 0.5 },
        perClass: {},
        alwaysEscalate: [],
        auditRate: 0,
      },
    })
    expect(
      decide({
        policy: p,
        inspectionId: id,
        rungs: [rung({ margin: 0.2, entropy: 0.9 })],
        cloudTokensThisHour: 0,
      }),
    ).toMatchObject({ action: 'escalate', reason: 'margin' })
    expect(
      decide({ policy: p, inspectionId: id, rungs: [rung({ entropy: 0.9 })], cloudTokensThisHour: 0 }),
    ).toMatchObject({ action: 'escalate', reason: 'entropy', unsure: { value: 0.9, threshold: 0.5 } })
  })

  it('uses per-class overrides and keeps defaults for fields the override leaves out', () => {
    const p = policy({
      escalation: {
        thresholds: { minConfidence: 0.8, minMargin: 0.2 },
        perClass: { pit: { minConfidence: 0.99 } },
        alwaysEscalate: [],
        auditRate: 0,
      },
    })
    expect(thresholdsFor(p, 'pit')).toEqual({ minConfidence: 0.99, minMargin: 0.2, maxEntropy: undefined })
    const d = decide({
      policy: p,
      inspectionId: id,
      rungs: [rung({ label: 'pit', budget: 64, confidence: 0.95 })],
      cloudTokensThisHour: 0,
    })
    expect(d).toMatchObject({ action: 'escalate', reason: 'confidence', thresholds: { minConfidence: 0.99 } })
    const ok = decide({
      policy: p,
      inspectionId: id,
      rungs: [rung({ label: 'ok', budget: 64, confidence: 0.95 })],
      cloudTokensThisHour: 0,
    })
    expect(ok.action).toBe('accept')
  })

  it('sends always-escalate classes straight to the cloud without climbing', () => {
    const p = policy({
      escalation: {
        thresholds: { minConfidence: 0.8 },
        perClass: {},
        alwaysEscalate: ['crack'],
        auditRate: 0,
      },
    })
    const d = decide({
      policy: p,
      inspectionId: id,
      rungs: [rung({ label: 'crack', confidence: 0.99 })],
      cloudTokensThisHour: 0,
    })
    expect(d).toMatchObject({ action: 'escalate', reason: 'always-escalate', budget: 16 })
  })

  it('audits confident cases deterministically by inspection id', () => {
    const { under, over } = idsAround(0.3)
    const p = policy({
      escalation: { thresholds: { minConfidence: 0.8 }, perClass: {}, alwaysEscalate: [], auditRate: 0.3 },
    })
    const audited = decide({ policy: p, inspectionId: under, rungs: [rung()], cloudTokensThisHour: 0 })
    expect(audited).toMatchObject({ action: 'escalate', reason: 'audit', unsure: null })
    expect(decide({ policy: p, inspectionId: under, rungs: [rung()], cloudTokensThisHour: 0 })).toEqual(
      audited,
    )
    expect(decide({ policy: p, inspectionId: over, rungs: [rung()], cloudTokensThisHour: 0 }).action).toBe(
      'accept',
    )
  })

  it('audit draws are spread evenly: about 10 % of 20,000 ids fall under 0.1', () => {
    let under = 0
    for (let i = 0; i < 20_000; i++) if (auditDraw(`id-${i}`) < 0.1) under++
    expect(under / 20_000).toBeGreaterThan(0.09)
    expect(under / 20_000).toBeLessThan(0.11)
  })

  it('holds every case the cloud would see when egress is none', () => {
    const p = policy({ egress: { mode: 'none' } })
    const d = decide({
      policy: p,
      inspectionId: id,
      rungs: [rung({ confidence: 0.5 }), rung({ budget: 64, confidence: 0.5 })],
      cloudTokensThisHour: 0,
    })
    expect(d).toMatchObject({ action: 'hold', why: 'egress-none', reason: 'confidence' })
  })

  it('at the hourly cap follows atCap: edge verdict or hold; audits always accept', () => {
    const unsure = [rung({ confidence: 0.5 }), rung({ budget: 64, confidence: 0.5 })]
    const capped = policy({ cloudTokenCapPerHour: 1000, atCap: 'hold' })
    expect(
      decide({ policy: capped, inspectionId: id, rungs: unsure, cloudTokensThisHour: 744 }),
    ).toMatchObject({ action: 'escalate' })
    expect(
      decide({ policy: capped, inspectionId: id, rungs: unsure, cloudTokensThisHour: 745 }),
    ).toMatchObject({ action: 'hold', why: 'at-cap' })
    const lenient = policy({ cloudTokenCapPerHour: 1000, atCap: 'edge-verdict' })
    expect(
      decide({ policy: lenient, inspectionId: id, rungs: unsure, cloudTokensThisHour: 900 }),
    ).toMatchObject({ action: 'accept', why: 'at-cap', unsure: { rule: 'confidence' } })
    const { under } = idsAround(0.5)
    const audit = policy({
      cloudTokenCapPerHour: 0,
      atCap: 'hold',
      escalation: { thresholds: {}, perClass: {}, alwaysEscalate: [], auditRate: 0.5 },
    })
    expect(
      decide({ policy: audit, inspectionId: under, rungs: [rung()], cloudTokensThisHour: 0 }),
    ).toMatchObject({ action: 'accept', why: 'at-cap' })
  })

  it('refuses an empty rung list', () => {
    expect(() => decide({ policy: policy(), inspectionId: id, rungs: [], cloudTokensThisHour: 0 })).toThrow(
      /at least one rung/,
    )
  })
})

describe('deadlineOutcome', () => {
  it('is past at and after the deadline, with the policy fallback', () => {
    const at = new Date('2026-12-01T08:00:05Z')
    expect(deadlineOutcome({ pastDeadline: 'hold' }, at, new Date('2026-12-01T08:00:04.999Z'))).toEqual({
      past: false,
    })
    expect(deadlineOutcome({ pastDeadline: 'hold' }, at, at)).toEqual({ past: true, fallback: 'hold' })
  })
})

describe('TokenCounter', () => {
  it('counts per line and resets at the top of the hour', () => {
    const c = new TokenCounter()
    const t = Date.parse('2026-12-01T08:59:00Z')
    c.add('a', 256, t)
    c.add('a', 256, t + 1000)
    c.add('b', 100, t)
    expect(c.used('a', t + 2000)).toBe(512)
    expect(c.used('b', t)).toBe(100)
    expect(c.used('a', Date.parse('2026-12-01T09:00:00Z'))).toBe(0)
  })

  it('ignores a late add for an hour already over, and takes a release (negative add)', () => {
    const c = new TokenCounter()
    const eleven = Date.parse('2026-12-01T11:00:00Z')
    c.add('a', 256, eleven)
    c.add('a', 256, eleven - 100)
    expect(c.used('a', eleven + 1)).toBe(256)
    c.add('a', -256, eleven + 2)
    expect(c.used('a', eleven + 3)).toBe(0)
  })
})
