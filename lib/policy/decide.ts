/**
 * The edge's one decision rule, pure: (policy, model outputs so far, clock, counters) → what to
 * do next and why. The edge calls it after every rung of the token ladder; the gateway replays
 * it over logged cases to predict what a policy change would do. No I/O, no randomness (audits
 * are drawn from a hash of the inspection id), no hidden clock.
 */
import type { PolicyV2 } from '../messaging/contracts/policy.v2.ts'
import { auditDraw } from './audit.ts'

/** What the model said at one budget (calibrated probabilities). */
export type RungOutput = {
  budget: number
  label: string
  /** Probability of `label`. */
  confidence: number
  /** p(top) − p(runner-up). */
  margin: number
  /** Entropy of the class probabilities, nats. */
  entropy: number
}

export type DecideInput = {
  policy: PolicyV2
  inspectionId: string
  /** Every rung tried so far, in order; the last one is the current answer. At least one. */
  rungs: readonly RungOutput[]
  /** Cloud tokens this line has already committed in the current hour (escalations sent or queued). */
  cloudTokensThisHour: number
}

/** The threshold that found the edge unsure, with the value that crossed it. */
export type UnsureRule =
  | { rule: 'always-escalate'; label: string }
  | { rule: 'confidence'; value: number; threshold: number }
  | { rule: 'margin'; value: number; threshold: number }
  | { rule: 'entropy'; value: number; threshold: number }

export type Thresholds = { minConfidence?: number; minMargin?: number; maxEntropy?: number }

type Common = {
  policyVersion: number
  /** The budget whose answer this decision is about (the last rung). */
  budget: number
  label: string
  /** The thresholds in force for `label` (per-class override merged over the defaults). */
  thresholds: Thresholds
}

/**
 * accept    the edge verdict is final: confident, or wanted by the cloud but the hourly cap is
 *           reached and the policy says `atCap: edge-verdict` (audits always accept at the cap)
 * climb     re-run on site at `nextBudget`
 * escalate  send to the cloud at the policy's cloud budget (`cloudTokens` to count against the cap)
 * hold      a person decides (egress none, or the cap with `atCap: hold`)
 */
export type Decision =
  | (Common & { action: 'accept'; why: 'confident' | 'at-cap'; unsure: UnsureRule | null })
  | (Common & { action: 'climb'; nextBudget: number; unsure: UnsureRule })
  | (Common & {
      action: 'escalate'
      reason: EscalationReason
      unsure: UnsureRule | null
      cloudTokens: number
    })
  | (Common & {
      action: 'hold'
      why: 'egress-none' | 'at-cap'
      reason: EscalationReason
      unsure: UnsureRule | null
    })

export type EscalationReason = 'confidence' | 'margin' | 'entropy' | 'always-escalate' | 'audit'

/** Per-class thresholds over the defaults: a field the override leaves out keeps the default. */
export function thresholdsFor(policy: PolicyV2, label: string): Thresholds {
  const base = policy.escalation.thresholds
  const override = policy.escalation.perClass[label] ?? {}
  return {
    minConfidence: override.minConfidence ?? base.minConfidence,
    minMargin: override.minMargin ?? base.minMargin,
    maxEntropy: override.maxEntropy ?? base.maxEntropy,
  }
}

/** Which rule (if any) finds this answer unsure; checked in the order always-escalate, confidence, margin, entropy. */
export function unsureRule(policy: PolicyV2, rung: RungOutput): UnsureRule | null {
  if (policy.escalation.alwaysEscalate.includes(rung.label))
    return { rule: 'always-escalate', label: rung.label }
  const t = thresholdsFor(policy, rung.label)
  if (t.minConfidence !== undefined && rung.confidence < t.minConfidence)
    return { rule: 'confidence', value: rung.confidence, threshold: t.minConfidence }
  if (t.minMargin !== undefined && rung.margin < t.minMargin)
    return { rule: 'margin', value: rung.margin, threshold: t.minMargin }
  if (t.maxEntropy !== undefined && rung.entropy > t.maxEntropy)
    return { rule: 'entropy', value: rung.entropy, threshold: t.maxEntropy }
  return null
}

/** The ladder the policy allows: the edge budget, then each ladder step. */
export function ladderOf(policy: PolicyV2): number[] {
  return [policy.edge.budget, ...policy.edge.ladder]
}

/**
 * Decides what to do after the last rung in `input.rungs`.
 * 1. Unsure and a higher rung left on the ladder → climb (always-escalate classes skip the ladder:
 *    a sharper look does not change that the class goes to the cloud).
 * 2. Unsure at the top → the cloud is wanted for that reason; confident → wanted only when the
 *    audit draw falls under `auditRate`.
 * 3. Wanted: egress `none` → hold; over the hourly cloud cap → the policy's `atCap` (audits never
 *    hold: they accept at the cap); else escalate.
 */
export function decide(input: DecideInput): Decision {
  const { policy, rungs } = input
  const last = rungs[rungs.length - 1]
  if (last === undefined) throw new RangeError('decide: expected at least one rung but received none')
  const common: Common = {
    policyVersion: policy.version,
    budget: last.budget,
    label: last.label,
    thresholds: thresholdsFor(policy, last.label),
  }
  const unsure = unsureRule(policy, last)
  if (unsure !== null && unsure.rule !== 'always-escalate') {
    const next = ladderOf(policy).find((n) => n > last.budget)
    if (next !== undefined) return { ...common, action: 'climb', nextBudget: next, unsure }
  }
  let reason: EscalationReason
  if (unsure !== null) reason = unsure.rule
  else if (policy.escalation.auditRate > 0 && auditDraw(input.inspectionId) < policy.escalation.auditRate)
    reason = 'audit'
  else return { ...common, action: 'accept', why: 'confident', unsure: null }

  if (policy.egress.mode === 'none') return { ...common, action: 'hold', why: 'egress-none', reason, unsure }
  const cloudTokens = policy.cloud.budget
  const cap = policy.cloudTokenCapPerHour
  if (cap !== null && input.cloudTokensThisHour + cloudTokens > cap) {
    if (reason === 'audit' || policy.atCap === 'edge-verdict')
      return { ...common, action: 'accept', why: 'at-cap', unsure }
    return { ...common, action: 'hold', why: 'at-cap', reason, unsure }
  }
  return { ...common, action: 'escalate', reason, unsure, cloudTokens }
}

/** What becomes of a case still waiting for the cloud at `now`. */
export type DeadlineOutcome = { past: false } | { past: true; fallback: PolicyV2['pastDeadline'] }

/** Past `deadlineAt` the line gets the policy's `pastDeadline`: the provisional edge verdict, or hold. */
export function deadlineOutcome(
  policy: Pick<PolicyV2, 'pastDeadline'>,
  deadlineAt: Date,
  now: Date,
): DeadlineOutcome {
  return now.getTime() >= deadlineAt.getTime()
    ? { past: true, fallback: policy.pastDeadline }
    : { past: false }
}
