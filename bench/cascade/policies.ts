/**
 * The policies the cascade benchmark runs, as GraphQL `PolicyInput`s (what `updatePolicy` takes).
 *
 * all-edge   nothing escalated: no thresholds, audit 0; once at the edge budget, once with the edge
 *            budget at the top of the ladder (no climbing)
 * all-cloud  every class in `alwaysEscalate` (the edge still looks once at its budget, and the
 *            always-escalate rule skips the ladder), answered at the cloud budget
 * cascade    edge at its budget, escalate when the top-1 confidence < t (no ladder)
 * ladder     the same, but an unsure answer first climbs the on-site ladder, escalating only when
 *            still unsure at its top
 * +q         the same policy with the operator's question fused in on the cloud tier
 * Audit rate 0 everywhere (audits would add escalations the threshold did not ask for); no hourly
 * cap; a deadline long enough that every escalation is answered by the cloud.
 */

export type Family = 'all-edge' | 'all-cloud' | 'cascade' | 'ladder' | 'recommended'

export type PolicyInput = {
  edge: { model: string; budget: number; ladder: number[] }
  cloud: { model: string; budget: number }
  escalation: {
    thresholds: { minConfidence?: number | null; minMargin?: number | null; maxEntropy?: number | null }
    perClass: []
    alwaysEscalate: string[]
    auditRate: number
  }
  cloudTokenCapPerHour: null
  atCap: 'EDGE_VERDICT'
  deadlineMs: number
  pastDeadline: 'EDGE_VERDICT'
  question: string | null
  costPer1kTokens: { edge: number; cloud: number }
  egress: { mode: 'WHOLE'; regionMarginPatches: number }
}

export type BenchPolicy = {
  /** Short unique name, also the line id suffix. */
  name: string
  family: Family
  question: boolean
  input: PolicyInput
  /** Whether the policy is one of the two baselines (all-edge, all-cloud) rather than a candidate. */
  baseline: boolean
}

export type PolicyPlan = {
  edgeModel: string
  cloudModel: string
  /** Classes of the models (all-cloud escalates every one of them). */
  labels: string[]
  edgeBudget: number
  /** On-site ladder above the edge budget, ascending. */
  ladder: number[]
  cloudBudget: number
  question: string
  /** Thresholds (min top-1 confidence) of the cascade without the ladder. */
  thresholds: number[]
  /** Thresholds of the cascade with the ladder. */
  ladderThresholds: number[]
  /** Thresholds at which the ladder cascade also runs with the question (and all-cloud too when any). */
  questionThresholds: number[]
  prices: { edge: number; cloud: number }
  /** Every escalation gets this long before the edge falls back (ms); long, so the cloud answers all. */
  deadlineMs: number
}

function input(
  plan: PolicyPlan,
  o: { budget?: number; ladder?: number[]; minConfidence?: number; always?: string[]; question?: boolean },
): PolicyInput {
  return {
    edge: { model: plan.edgeModel, budget: o.budget ?? plan.edgeBudget, ladder: o.ladder ?? [] },
    cloud: { model: plan.cloudModel, budget: plan.cloudBudget },
    escalation: {
      thresholds: o.minConfidence === undefined ? {} : { minConfidence: o.minConfidence },
      perClass: [],
      alwaysEscalate: o.always ?? [],
      auditRate: 0,
    },
    cloudTokenCapPerHour: null,
    atCap: 'EDGE_VERDICT',
    deadlineMs: plan.deadlineMs,
    pastDeadline: 'EDGE_VERDICT',
    question: o.question ? plan.question : null,
    costPer1kTokens: plan.prices,
    egress: { mode: 'WHOLE', regionMarginPatches: 1 },
  }
}

const fmt = (t: number) => String(t).replace(/^0\./, '.')

/** The benchmark's policies in run order: baselines first, then the sweeps. */
export function benchPolicies(plan: PolicyPlan): BenchPolicy[] {
  const top = plan.ladder.at(-1) ?? plan.edgeBudget
  const out: BenchPolicy[] = []
  const add = (name: string, family: Family, o: Parameters<typeof input>[1]) =>
    out.push({
      name,
      family,
      question: o.question === true,
      baseline: family === 'all-edge' || family === 'all-cloud',
      input: input(plan, o),
    })
  add(`all-edge-${plan.edgeBudget}`, 'all-edge', {})
  add(`all-edge-${top}`, 'all-edge', { budget: top })
  add('all-cloud', 'all-cloud', { always: plan.labels })
  if (plan.questionThresholds.length > 0)
    add('all-cloud+q', 'all-cloud', { always: plan.labels, question: true })
  for (const t of plan.thresholds) add(`cascade-c${fmt(t)}`, 'cascade', { minConfidence: t })
  for (const t of plan.ladderThresholds)
    add(`ladder-c${fmt(t)}`, 'ladder', { ladder: plan.ladder, minConfidence: t })
  for (const t of plan.questionThresholds)
    add(`ladder-c${fmt(t)}+q`, 'ladder', { ladder: plan.ladder, minConfidence: t, question: true })
  return out
}

/** What `recommendPolicy` answers about its pick (GraphQL `ReplayPolicy`). */
export type RecommendedKnobs = {
  edgeBudget: number
  ladder: number[]
  cloudBudget: number
  minConfidence: number | null
  minMargin: number | null
  maxEntropy: number | null
  auditRate: number
  question: boolean
}

/** The gateway's recommended knobs over `base` (the rest of the policy is the line's current one). */
export function recommendedPolicy(plan: PolicyPlan, base: PolicyInput, k: RecommendedKnobs): BenchPolicy {
  const thresholds: PolicyInput['escalation']['thresholds'] = {}
  if (k.minConfidence !== null) thresholds.minConfidence = k.minConfidence
  if (k.minMargin !== null) thresholds.minMargin = k.minMargin
  if (k.maxEntropy !== null) thresholds.maxEntropy = k.maxEntropy
  return {
    name: 'recommended',
    family: 'recommended',
    question: k.question,
    baseline: false,
    input: {
      ...base,
      edge: { ...base.edge, budget: k.edgeBudget, ladder: k.ladder },
      cloud: { ...base.cloud, budget: k.cloudBudget },
      escalation: { ...base.escalation, thresholds, auditRate: k.auditRate },
      question: k.question ? plan.question : base.question,
    },
  }
}
