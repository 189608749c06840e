/**
 * The frontier and recommendations of `npm run frontier`, computed the way the gateway's
 * `policyFrontier` and `recommendPolicy` compute them (services/gateway/src/replay/replay.service.ts):
 * the library's candidate grid, paretoFrontier, recommend, verifyFrontier and bootstrap interval.
 */
import type { PolicyV2 } from '../../lib/messaging/index.ts'
import {
  accuracyInterval,
  applyKnobs,
  type CalibrationSet,
  describePolicy,
  evaluateGrid,
  paretoFrontier,
  ReplayError,
  type ReplayFigures,
  recommend,
  replayPolicy,
  verifyFrontier,
} from '../../lib/policy/replay/index.ts'

/** One replayed policy as printed and written: the figures without the per-image vector. */
export type FrontierRow = Omit<ReplayFigures, 'correct'> & {
  describe: string
  /** 90 % percentile bootstrap interval of accuracy over images. */
  accuracyLow: number
  accuracyHigh: number
  /** No candidate is cheaper and at least as accurate (the gateway's `pareto`). */
  pareto: boolean
}

export type FrontierRecommendation = {
  target: { kind: 'accuracy' | 'cost'; value: number }
  recommended: FrontierRow | null
  /** The library's explanation with the gateway's note on the base policy and the set. */
  explanation: string
}

export type FrontierReport = {
  dataset: string
  images: number
  question: string | null
  notes: string[]
  base: PolicyV2
  candidates: number
  gridMs: number
  frontier: FrontierRow[]
  /** The base policy replayed; null when it uses a budget the records lack. */
  current: FrontierRow | null
  /** For orientation: the edge alone at its largest budget (no thresholds, no audits) and the cloud for every image. */
  references: { name: string; row: FrontierRow }[]
  recommendations: FrontierRecommendation[]
}

function dominated(candidates: readonly ReplayFigures[], f: ReplayFigures): boolean {
  return candidates.some((c) => c.costPer1k < f.costPer1k && c.accuracy >= f.accuracy)
}

function row(f: ReplayFigures, pareto: boolean): FrontierRow {
  const { correct, ...figures } = f
  const [accuracyLow, accuracyHigh] = accuracyInterval(correct)
  return { ...figures, describe: describePolicy(f.policy), accuracyLow, accuracyHigh, pareto }
}

export type FrontierRun = {
  minConfidence?: readonly (number | null)[] | undefined
  maxMs: number
  targetAccuracy?: readonly number[]
  maxCostPer1k?: readonly number[]
}

/**
 * Grid, frontier (every member replayed again rung by rung), the base policy and, per target
 * given, the recommendation.
 */
export function frontierReport(set: CalibrationSet, base: PolicyV2, run: FrontierRun): FrontierReport {
  const grid = evaluateGrid(set, base, {
    maxMs: run.maxMs,
    ...(run.minConfidence === undefined ? {} : { minConfidence: run.minConfidence }),
  })
  const frontier = paretoFrontier(grid.candidates)
  const verified = verifyFrontier(set, frontier)
  let current: ReplayFigures | null = null
  try {
    current = replayPolicy(set, base)
  } catch (err) {
    if (!(err instanceof ReplayError && err.code === 'REPLAY_INPUT_INVALID')) throw err
  }
  const recommendations: FrontierRecommendation[] = []
  const targets = [
    ...(run.targetAccuracy ?? []).map((targetAccuracy) => ({ targetAccuracy })),
    ...(run.maxCostPer1k ?? []).map((maxCostPer1k) => ({ maxCostPer1k })),
  ]
  for (const target of targets) {
    const rec = recommend(frontier, target, (c) => describePolicy(c.policy))
    const recommended = rec.recommended === null ? null : verifyFrontier(set, [rec.recommended])[0]!
    const vsCurrent =
      current === null || recommended === null
        ? ''
        : `; the current policy replays at accuracy ${current.accuracy.toFixed(3)} for ${current.costPer1k.toFixed(4)} per 1,000 images`
    recommendations.push({
      target: rec.target,
      recommended: recommended === null ? null : row(recommended, true),
      explanation: `${rec.explanation}${vsCurrent} (${set.ids.length} images, calibration records)`,
    })
  }
  const edgeTop = Math.max(...set.edge.keys())
  const cloudTop = Math.max(...set.cloud.keys())
  const alone = (knobs: { minConfidence: number | null; auditRate: number }) => {
    const p = applyKnobs(base, { edgeBudget: edgeTop, ladder: [], cloudBudget: cloudTop, ...knobs })
    // "Alone" means no rule but minConfidence: other thresholds, per-class rules and always-escalate cleared.
    const bare: PolicyV2 = {
      ...p,
      escalation: {
        ...p.escalation,
        thresholds: knobs.minConfidence === null ? {} : { minConfidence: knobs.minConfidence },
        perClass: {},
        alwaysEscalate: [],
      },
    }
    const f = replayPolicy(set, bare)
    return row(f, !dominated(grid.candidates, f))
  }
  return {
    dataset: set.dataset,
    images: set.ids.length,
    question: set.question,
    notes: set.notes,
    base,
    candidates: grid.candidates.length,
    gridMs: grid.ms,
    frontier: verified.map((f) => row(f, true)),
    current: current === null ? null : row(current, !dominated(grid.candidates, current)),
    references: [
      {
        name: `all edge: ${edgeTop}, no threshold, no audit`,
        row: alone({ minConfidence: null, auditRate: 0 }),
      },
      { name: `all cloud: ${cloudTop} (minConfidence 1)`, row: alone({ minConfidence: 1, auditRate: 0 }) },
    ],
    recommendations,
  }
}

const f3 = (x: number) => x.toFixed(3)

function tableRow(name: string, r: FrontierRow): string {
  return `| ${name} | ${f3(r.accuracy)} [${f3(r.accuracyLow)}, ${f3(r.accuracyHigh)}] | ${f3(r.costPer1k)} | ${f3(r.escalationRate)} | ${f3(r.climbRate)} | ${r.latencyMsMean.toFixed(1)} / ${r.latencyMsP95.toFixed(1)} |`
}

/** The report as Markdown: a heading line, the frontier table, the base policy and references, the recommendations. */
export function formatFrontier(r: FrontierReport): string {
  const p = r.base.costPer1kTokens
  const lines = [
    `Replay of ${r.images} images (${r.dataset}), cloud ${r.question === null ? 'vision only' : `with ${JSON.stringify(r.question)}`}.`,
    `Base policy: ${describePolicy(r.base)}; prices per 1,000 tokens: edge ${p.edge}, cloud ${p.cloud}.`,
    `${r.candidates} candidates, ${r.frontier.length} on the frontier (accuracy with its 90 % bootstrap interval, cost per 1,000 images):`,
    '',
    '| policy | accuracy | cost / 1k | escalated | climbed | latency mean / p95 ms |',
    '|---|---|---|---|---|---|',
    ...r.frontier.map((f) => tableRow(f.describe, f)),
    '',
    '| for comparison | accuracy | cost / 1k | escalated | climbed | latency mean / p95 ms |',
    '|---|---|---|---|---|---|',
    r.current === null
      ? '| the base policy: not replayable (a budget without records) | | | | | |'
      : tableRow(
          `the base policy: ${r.current.describe} (${r.current.pareto ? 'on the frontier' : 'dominated'})`,
          r.current,
        ),
    ...r.references.map((x) => tableRow(x.name, x.row)),
    '',
    ...r.recommendations.map(
      (x) =>
        `- ${x.target.kind === 'accuracy' ? `targetAccuracy ${x.target.value}` : `maxCostPer1k ${x.target.value}`}: ${x.explanation}`,
    ),
    ...(r.notes.length === 0 ? [] : ['', ...r.notes.map((n) => `Note: ${n}`)]),
  ]
  return `${lines.join('\n')}\n`
}
