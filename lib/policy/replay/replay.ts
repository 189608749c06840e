/**
 * Replay of a policy over per-image records: for every image the edge's own `decide()` is called
 * at the policy's edge budget with that image's answer at that budget, again at each rung it says
 * to climb, and the case ends accepted (the edge's label), escalated (the cloud's label at the
 * cloud budget) or held (a person decides: the reference label, no tokens).
 *
 * Not modelled: the hourly cloud token cap (replayed as no cap: a replay has no clock, and a cap
 * changes which hour a case falls in, not what a policy would do per image), the deadline (every
 * escalation is answered), queueing and network time (latency is model compute per image from
 * the manifests' metrics: edge at every rung tried, plus the cloud for escalated cases).
 */
import type { PolicyV2 } from '../../messaging/contracts/policy.v2.ts'
import { type DecideInput, decide, type EscalationReason, ladderOf, type RungOutput } from '../decide.ts'
import { ReplayError } from './errors.ts'
import type { CalibrationSet, LoggedSet, ReplaySet } from './replay-set.ts'

const ACCEPT = 0
const ESCALATE = 1
const HOLD = 2

/** What the edge did with every image under one policy (cloud side not yet settled). */
export type EdgePass = {
  policy: PolicyV2
  /** Per image: 0 accepted, 1 escalated, 2 held. */
  action: Uint8Array
  /** Per image: the edge's label index at the rung that decided. */
  edgeLabel: Int32Array
  /** Images that climbed at least one rung. */
  climbed: number
  /** Σ edge tokens over all images. */
  edgeTokens: number
  /** Per image: Σ edge latency over the rungs tried, ms. */
  edgeLatencyMs: Float64Array
  reasons: Record<EscalationReason, number>
}

/** Figures of one policy over one replay set. */
export type ReplayFigures = {
  policy: PolicyV2
  images: number
  accuracy: number
  /** Recall per label, for labels with at least one image. */
  perClassRecall: Record<string, number>
  escalationRate: number
  /** Fraction held for a person (egress none). */
  holdRate: number
  climbRate: number
  edgeTokensPer1k: number
  cloudTokensPer1k: number
  /** At the policy's prices per 1,000 tokens. */
  costPer1k: number
  latencyMsMean: number
  latencyMsP95: number
  /** Why escalated cases went, counted. */
  reasons: Record<EscalationReason, number>
  /** Per image: 1 when the final label equals the reference. */
  correct: Uint8Array
}

const noReasons = (): Record<EscalationReason, number> => ({
  confidence: 0,
  margin: 0,
  entropy: 0,
  'always-escalate': 0,
  audit: 0,
})

/** The policy as a replay runs it: no hourly cap (see the file comment). */
function uncapped(policy: PolicyV2): PolicyV2 {
  return policy.cloudTokenCapPerHour === null ? policy : { ...policy, cloudTokenCapPerHour: null }
}

/**
 * Runs `decide()` over every image of `set` under `policy`.
 * @throws ReplayError REPLAY_INPUT_INVALID when the policy names models or budgets the set has no records of
 */
export function replayEdge(set: ReplaySet, policy: PolicyV2): EdgePass {
  if (policy.edge.model !== set.edgeModel || policy.cloud.model !== set.cloudModel)
    throw new ReplayError(
      'REPLAY_INPUT_INVALID',
      `expected edge model ${set.edgeModel} and cloud model ${set.cloudModel} (the records' models) but received ${policy.edge.model} and ${policy.cloud.model}`,
    )
  return set.source === 'calibration'
    ? replayCalibration(set, uncapped(policy))
    : replayLogged(set, uncapped(policy))
}

function emptyPass(policy: PolicyV2, n: number): EdgePass {
  return {
    policy,
    action: new Uint8Array(n),
    edgeLabel: new Int32Array(n),
    climbed: 0,
    edgeTokens: 0,
    edgeLatencyMs: new Float64Array(n),
    reasons: noReasons(),
  }
}

function replayCalibration(set: CalibrationSet, policy: PolicyV2): EdgePass {
  for (const b of ladderOf(policy))
    if (!set.edge.has(b))
      throw new ReplayError(
        'REPLAY_INPUT_INVALID',
        `expected edge budgets among the records' ${[...set.edge.keys()].join(', ')} but received ${b}`,
      )
  if (!set.cloud.has(policy.cloud.budget))
    throw new ReplayError(
      'REPLAY_INPUT_INVALID',
      `expected a cloud budget among the records' ${[...set.cloud.keys()].join(', ')} but received ${policy.cloud.budget}`,
    )
  const n = set.ids.length
  const pass = emptyPass(policy, n)
  const labelIndex = new Map(set.labels.map((l, i) => [l, i]))
  const rungs: RungOutput[] = []
  // One input object for every call (decide keeps nothing of it): fewer allocations per image.
  const input: DecideInput = { policy, inspectionId: '', rungs, cloudTokensThisHour: 0 }
  for (let i = 0; i < n; i++) {
    rungs.length = 0
    input.inspectionId = set.ids[i]!
    let budget = policy.edge.budget
    let latency = 0
    for (;;) {
      rungs.push(set.edge.get(budget)![i]!)
      pass.edgeTokens += budget
      latency += set.edgeLatencyMs.get(budget)!
      const d = decide(input)
      if (d.action === 'climb') {
        budget = d.nextBudget
        continue
      }
      record(pass, i, d, labelIndex)
      break
    }
    if (rungs.length > 1) pass.climbed++
    pass.edgeLatencyMs[i] = latency
  }
  return pass
}

function replayLogged(set: LoggedSet, policy: PolicyV2): EdgePass {
  const n = set.ids.length
  const pass = emptyPass(policy, n)
  const labelIndex = new Map(set.labels.map((l, i) => [l, i]))
  // The logged rung is the last the edge tried; decide sees it as the top of the ladder.
  const atRung = new Map<number, PolicyV2>()
  for (let i = 0; i < n; i++) {
    const rung = set.rungs[i]!
    let p = atRung.get(rung.budget)
    if (p === undefined) {
      p = { ...policy, edge: { ...policy.edge, budget: rung.budget, ladder: [] } }
      atRung.set(rung.budget, p)
    }
    const d = decide({ policy: p, inspectionId: set.ids[i]!, rungs: [rung], cloudTokensThisHour: 0 })
    if (d.action === 'climb') throw new Error('unreachable: a logged replay has no ladder to climb')
    record(pass, i, d, labelIndex)
    pass.edgeTokens += set.edgeTokens[i]!
    pass.edgeLatencyMs[i] = set.edgeLatencyMs[i]!
  }
  return pass
}

function record(
  pass: EdgePass,
  i: number,
  d: Exclude<ReturnType<typeof decide>, { action: 'climb' }>,
  labelIndex: ReadonlyMap<string, number>,
): void {
  pass.edgeLabel[i] = labelIndex.get(d.label) ?? -1
  switch (d.action) {
    case 'accept':
      pass.action[i] = ACCEPT
      return
    case 'escalate':
      pass.action[i] = ESCALATE
      pass.reasons[d.reason]++
      return
    case 'hold':
      pass.action[i] = HOLD
      return
    default: {
      const never: never = d
      throw new Error(`unexpected decision ${JSON.stringify(never)}`)
    }
  }
}

/** What settling needs from an edge pass whatever the cloud budget: computed once per pass. */
type PassSummary = {
  /** Per image: 1 when accepted or held and right (escalated images are settled per cloud budget). */
  correct: Uint8Array
  /** Images per reference label, and right ones among the not-escalated. */
  count: Float64Array
  hits: Float64Array
  right: number
  held: number
  /** Indices of escalated images. */
  escalated: Int32Array
  edgeLatencySum: number
  /** Edge latency → images, for the not-escalated and the escalated (few distinct values: sums of per-budget figures). */
  stay: Map<number, number>
  go: Map<number, number>
}

const summaries = new WeakMap<EdgePass, PassSummary>()

function summarise(set: ReplaySet, pass: EdgePass): PassSummary {
  const cached = summaries.get(pass)
  if (cached) return cached
  const n = set.ids.length
  const k = set.labels.length
  const sum: PassSummary = {
    correct: new Uint8Array(n),
    count: new Float64Array(k),
    hits: new Float64Array(k),
    right: 0,
    held: 0,
    escalated: new Int32Array(0),
    edgeLatencySum: 0,
    stay: new Map(),
    go: new Map(),
  }
  const escalated: number[] = []
  for (let i = 0; i < n; i++) {
    const t = set.truth[i]!
    const a = pass.action[i]!
    const ms = pass.edgeLatencyMs[i]!
    sum.count[t]!++
    sum.edgeLatencySum += ms
    if (a === ESCALATE) {
      escalated.push(i)
      sum.go.set(ms, (sum.go.get(ms) ?? 0) + 1)
      continue
    }
    sum.stay.set(ms, (sum.stay.get(ms) ?? 0) + 1)
    // A held image is decided by a person: the reference label.
    if (a === HOLD) sum.held++
    if (a === HOLD || pass.edgeLabel[i] === t) {
      sum.correct[i] = 1
      sum.hits[t]!++
      sum.right++
    }
  }
  sum.escalated = Int32Array.from(escalated)
  summaries.set(pass, sum)
  return sum
}

/**
 * Settles an edge pass with the cloud at `cloudBudget` (default the pass policy's): the cloud's
 * answer does not feed back into `decide()` without a cap, so one edge pass serves every cloud budget.
 */
export function settle(
  set: ReplaySet,
  pass: EdgePass,
  cloudBudget = pass.policy.cloud.budget,
): ReplayFigures {
  const n = set.ids.length
  const k = set.labels.length
  let cloudLabels: Int32Array
  let cloudMs: number
  if (set.source === 'calibration') {
    const labels = set.cloud.get(cloudBudget)
    if (labels === undefined)
      throw new ReplayError(
        'REPLAY_INPUT_INVALID',
        `expected a cloud budget among the records' ${[...set.cloud.keys()].join(', ')} but received ${cloudBudget}`,
      )
    cloudLabels = labels
    cloudMs = set.cloudLatencyMs.get(cloudBudget)!
  } else {
    cloudLabels = set.cloudLabel
    cloudMs = set.cloudLatencyMs
  }
  const sum = summarise(set, pass)
  const correct = sum.correct.slice()
  const hits = sum.hits.slice()
  let right = sum.right
  for (const i of sum.escalated) {
    const t = set.truth[i]!
    const c = cloudLabels[i]!
    // A logged case that never reached the cloud gets its reference label (see loggedSet).
    if (c === t || c < 0) {
      correct[i] = 1
      hits[t]!++
      right++
    }
  }
  const escalated = sum.escalated.length
  const latencies = new Map(sum.stay)
  for (const [ms, c] of sum.go) latencies.set(ms + cloudMs, (latencies.get(ms + cloudMs) ?? 0) + c)
  const edgeTokensPer1k = n > 0 ? (pass.edgeTokens / n) * 1000 : 0
  const cloudTokensPer1k = n > 0 ? ((escalated * cloudBudget) / n) * 1000 : 0
  const prices = pass.policy.costPer1kTokens
  const perClassRecall: Record<string, number> = {}
  for (let c = 0; c < k; c++) if (sum.count[c]! > 0) perClassRecall[set.labels[c]!] = hits[c]! / sum.count[c]!
  const policy =
    cloudBudget === pass.policy.cloud.budget
      ? pass.policy
      : { ...pass.policy, cloud: { ...pass.policy.cloud, budget: cloudBudget } }
  return {
    policy,
    images: n,
    accuracy: n > 0 ? right / n : 0,
    perClassRecall,
    escalationRate: n > 0 ? escalated / n : 0,
    holdRate: n > 0 ? sum.held / n : 0,
    climbRate: n > 0 ? pass.climbed / n : 0,
    edgeTokensPer1k,
    cloudTokensPer1k,
    costPer1k: (edgeTokensPer1k / 1000) * prices.edge + (cloudTokensPer1k / 1000) * prices.cloud,
    latencyMsMean: n > 0 ? (sum.edgeLatencySum + escalated * cloudMs) / n : 0,
    latencyMsP95: nearestRank(latencies, n, 0.95),
    reasons: { ...pass.reasons },
    correct,
  }
}

/** Nearest-rank percentile of values given with their counts: the smallest v with count(≤ v) ≥ q·n. */
function nearestRank(counts: ReadonlyMap<number, number>, n: number, q: number): number {
  if (n === 0) return 0
  const rank = Math.max(1, Math.ceil(q * n))
  let seen = 0
  for (const v of [...counts.keys()].sort((a, b) => a - b)) {
    seen += counts.get(v)!
    if (seen >= rank) return v
  }
  return 0
}

/** Replays one policy: `decide()` per image, then the cloud at the policy's cloud budget. */
export function replayPolicy(set: ReplaySet, policy: PolicyV2): ReplayFigures {
  return settle(set, replayEdge(set, policy))
}
