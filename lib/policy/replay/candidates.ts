/**
 * The candidate grid a recommendation searches: edge budget × ladder (none, or one higher rung)
 * × minConfidence × cloud budget, at the audit rate of the line's policy; everything else
 * (other thresholds, per-class overrides, always-escalate classes, egress, prices) is the line's.
 * A logged set can only vary thresholds, so its grid is minConfidence alone.
 */
import type { PolicyV2 } from '../../messaging/contracts/policy.v2.ts'
import { ReplayError } from './errors.ts'
import { type ReplayFigures, replayEdge, settle } from './replay.ts'
import type { ReplaySet } from './replay-set.ts'

/** minConfidence values tried; `null` = no confidence threshold (the edge keeps what the other rules let through). */
export const defaultMinConfidenceGrid: readonly (number | null)[] = [
  null,
  0.5,
  0.6,
  0.7,
  0.8,
  0.85,
  0.9,
  0.95,
  0.97,
  0.99,
]

export type ReplayKnobs = {
  edgeBudget: number
  ladder: readonly number[]
  /** null: no confidence threshold. */
  minConfidence: number | null
  cloudBudget: number
  auditRate: number
}

/** `base` with the knobs a candidate varies replaced. */
export function applyKnobs(base: PolicyV2, k: ReplayKnobs): PolicyV2 {
  const thresholds = { ...base.escalation.thresholds }
  if (k.minConfidence === null) delete thresholds.minConfidence
  else thresholds.minConfidence = k.minConfidence
  return {
    ...base,
    edge: { ...base.edge, budget: k.edgeBudget, ladder: [...k.ladder] },
    cloud: { ...base.cloud, budget: k.cloudBudget },
    escalation: { ...base.escalation, thresholds, auditRate: k.auditRate },
  }
}

export type GridOptions = {
  minConfidence?: readonly (number | null)[]
  /** Refuse a grid larger than this; default 5,000 candidates. */
  maxCandidates?: number
  /** Stop with REPLAY_TOO_LARGE past this much computation, ms; default 2,000. */
  maxMs?: number
  /** Clock for the time bound, ms; default performance.now. */
  now?: () => number
}

export type GridResult = {
  candidates: ReplayFigures[]
  /** Wall time of the whole grid, ms. */
  ms: number
}

/** The (edge budget, ladder) pairs of a calibration set: each budget alone, and with each higher one. */
function edgeShapes(budgets: readonly number[]): { edgeBudget: number; ladder: number[] }[] {
  const sorted = [...budgets].sort((a, b) => a - b)
  return sorted.flatMap((b, i) => [
    { edgeBudget: b, ladder: [] },
    ...sorted.slice(i + 1).map((next) => ({ edgeBudget: b, ladder: [next] })),
  ])
}

/**
 * Replays every candidate of the grid over `set`. One `decide()` pass per (edge budget, ladder,
 * minConfidence) serves every cloud budget (see settle).
 * @throws ReplayError REPLAY_TOO_LARGE past `maxCandidates` or `maxMs`
 */
export function evaluateGrid(set: ReplaySet, base: PolicyV2, opts: GridOptions = {}): GridResult {
  const now = opts.now ?? (() => performance.now())
  const started = now()
  const grid = opts.minConfidence ?? defaultMinConfidenceGrid
  const shapes =
    set.source === 'calibration'
      ? edgeShapes([...set.edge.keys()])
      : [{ edgeBudget: base.edge.budget, ladder: [...base.edge.ladder] }]
  const cloudBudgets =
    set.source === 'calibration' ? [...set.cloud.keys()].sort((a, b) => a - b) : [base.cloud.budget]
  const total = shapes.length * grid.length * cloudBudgets.length
  const maxCandidates = opts.maxCandidates ?? 5000
  if (total > maxCandidates)
    throw new ReplayError(
      'REPLAY_TOO_LARGE',
      `expected at most ${maxCandidates} candidate policies but the grid has ${total}`,
    )
  const maxMs = opts.maxMs ?? 2000
  const candidates: ReplayFigures[] = []
  for (const shape of shapes)
    for (const minConfidence of grid) {
      const policy = applyKnobs(base, {
        ...shape,
        minConfidence,
        cloudBudget: cloudBudgets[0]!,
        auditRate: base.escalation.auditRate,
      })
      const pass = replayEdge(set, policy)
      for (const cloudBudget of cloudBudgets) candidates.push(settle(set, pass, cloudBudget))
      if (now() - started > maxMs)
        throw new ReplayError(
          'REPLAY_TOO_LARGE',
          `the candidate grid (${total} policies over ${set.ids.length} images) took over ${maxMs} ms; stopped after ${candidates.length}`,
          true,
        )
    }
  return { candidates, ms: now() - started }
}
