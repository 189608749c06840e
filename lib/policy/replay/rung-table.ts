/**
 * A search accelerator for the candidate grid. Candidates that differ only in their ladder ask
 * `decide()` the same question at every rung they share, so the grid asks it once per (image,
 * budget, thresholds): decide() at that budget as the top of the ladder gives the final decision
 * there, and its `unsure` output says whether a policy with a higher rung left would climb
 * (decide's documented step 1: unsure, other than always-escalate, with a higher rung → climb).
 * A ladder is then walked over these answers. The gateway replays a recommendation again rung by
 * rung with decide() (verifyFrontier: they must agree), and the tests compare every candidate of
 * the grid with the rung-by-rung replay (replayPolicy).
 */
import type { PolicyV2 } from '../../messaging/contracts/policy.v2.ts'
import { type DecideInput, decide, type EscalationReason, type RungOutput } from '../decide.ts'
import type { EdgePass } from './replay.ts'
import type { CalibrationSet } from './replay-set.ts'

const ACCEPT = 0
const ESCALATE = 1
const HOLD = 2
const reasonCodes: readonly EscalationReason[] = [
  'confidence',
  'margin',
  'entropy',
  'always-escalate',
  'audit',
]

/** decide()'s answer for every image at one budget, as the top of the ladder. */
export type RungAnswers = {
  budget: number
  /** 0 accept, 1 escalate, 2 hold. */
  action: Uint8Array
  label: Int32Array
  /** Index into reasonCodes for escalations, −1 otherwise. */
  reason: Int8Array
  /** 1 when decide found the answer unsure for a reason a higher rung would be climbed for. */
  climbs: Uint8Array
}

/**
 * decide() once per image at `budget`, under `policy` with that budget as the only rung (the
 * hourly cap off, as in every replay).
 */
export function rungAnswers(set: CalibrationSet, policy: PolicyV2, budget: number): RungAnswers {
  const n = set.ids.length
  const top: PolicyV2 = {
    ...policy,
    edge: { ...policy.edge, budget, ladder: [] },
    cloudTokenCapPerHour: null,
  }
  const outputs = set.edge.get(budget)!
  const labelIndex = new Map(set.labels.map((l, i) => [l, i]))
  const rungs: RungOutput[] = []
  const input: DecideInput = { policy: top, inspectionId: '', rungs, cloudTokensThisHour: 0 }
  const out: RungAnswers = {
    budget,
    action: new Uint8Array(n),
    label: new Int32Array(n),
    reason: new Int8Array(n).fill(-1),
    climbs: new Uint8Array(n),
  }
  for (let i = 0; i < n; i++) {
    rungs.length = 0
    rungs.push(outputs[i]!)
    input.inspectionId = set.ids[i]!
    const d = decide(input)
    out.label[i] = labelIndex.get(d.label) ?? -1
    out.climbs[i] = d.unsure !== null && d.unsure.rule !== 'always-escalate' ? 1 : 0
    switch (d.action) {
      case 'accept':
        out.action[i] = ACCEPT
        break
      case 'escalate':
        out.action[i] = ESCALATE
        out.reason[i] = reasonCodes.indexOf(d.reason)
        break
      case 'hold':
        out.action[i] = HOLD
        break
      case 'climb':
        throw new Error('unreachable: no higher rung to climb to')
      default: {
        const never: never = d
        throw new Error(`unexpected decision ${JSON.stringify(never)}`)
      }
    }
  }
  return out
}

/** Walks `policy`'s ladder over per-budget answers (all from the same thresholds and audit rate). */
export function walkLadder(
  set: CalibrationSet,
  policy: PolicyV2,
  answers: ReadonlyMap<number, RungAnswers>,
): EdgePass {
  const n = set.ids.length
  const ladder = [policy.edge.budget, ...policy.edge.ladder]
  const steps = ladder.map((b) => ({ budget: b, answers: answers.get(b)!, ms: set.edgeLatencyMs.get(b)! }))
  const pass: EdgePass = {
    policy,
    action: new Uint8Array(n),
    edgeLabel: new Int32Array(n),
    climbed: 0,
    edgeTokens: 0,
    edgeLatencyMs: new Float64Array(n),
    reasons: { confidence: 0, margin: 0, entropy: 0, 'always-escalate': 0, audit: 0 },
  }
  const last = steps.length - 1
  for (let i = 0; i < n; i++) {
    let s = 0
    let tokens = steps[0]!.budget
    let ms = steps[0]!.ms
    while (s < last && steps[s]!.answers.climbs[i] === 1) {
      s++
      tokens += steps[s]!.budget
      ms += steps[s]!.ms
    }
    const a = steps[s]!.answers
    pass.action[i] = a.action[i]!
    pass.edgeLabel[i] = a.label[i]!
    if (a.action[i] === ESCALATE) pass.reasons[reasonCodes[a.reason[i]!]!]++
    if (s > 0) pass.climbed++
    pass.edgeTokens += tokens
    pass.edgeLatencyMs[i] = ms
  }
  return pass
}
