/**
 * The candidate grid a recommendation searches: edge budget × ladder (none, or one higher rung)
 * × minConfidence × cloud budget, at the audit rate of the line's policy; everything else
 * (other thresholds, per-class overrides, always-escalate classes, egress, prices) is the line's.
 * A logged set can only vary thresholds, so its grid is minConfidence alone.
 */
import type { PolicyV2 } from '../../messaging/contracts/policy.v2.ts'
import { ReplayError } from './errors.ts'
import { type ReplayFigures, replayEdge, replayPolicy, settle } from './replay.ts'
import type { ReplaySet } from './replay-set.ts'
import { type RungAnswers, rungAnswers, walkLadder } from './rung-table.ts'

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
  // Built without `delete`, which would leave a slow dictionary-mode object for decide() to read.
  const { minConfidence: _replaced, ...others } = base.escalation.thresholds
  const thresholds = k.minConfidence === null ? others : { ...others, minConfidence: k.minConfidence }
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

/** The (edge budget, ladder) pairs of a calibration set: each budget alone, and with each higher one as its one rung. */
function edgeShapes(budgets: readonly number[]): { edgeBudget: number; ladder: number[] }[] {
  const sorted = [...new Set(budgets)].sort((a, b) => a - b)
  return sorted.flatMap((b, i) => [
    { edgeBudget: b, ladder: [] },
    ...sorted.slice(i + 1).map((next) => ({ edgeBudget: b, ladder: [next] })),
  ])
}

/**
 * Replays every candidate of the grid over `set`. Calibration sets ask decide() once per (image,
 * budget, minConfidence) and walk each ladder over the answers (rung-table.ts); one edge pass
 * serves every cloud budget (see settle). Logged sets replay each candidate rung by rung.
 * @throws ReplayError REPLAY_TOO_LARGE past `maxCandidates` or `maxMs`
 */
export function evaluateGrid(set: ReplaySet, base: PolicyV2, opts: GridOptions = {}): GridResult {
  const steps = gridSteps(set, base, opts)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
  }
}

/**
 * evaluateGrid in slices of one decide() pass over the images (2,000 images: tens of ms), yielding
 * to the event loop between them, so a gateway keeps answering other requests meanwhile.
 */
export async function evaluateGridAsync(
  set: ReplaySet,
  base: PolicyV2,
  opts: GridOptions = {},
): Promise<GridResult> {
  const steps = gridSteps(set, base, opts)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

/** The grid as a sequence of slices; the generator's return value is the result. */
function* gridSteps(set: ReplaySet, base: PolicyV2, opts: GridOptions): Generator<void, GridResult> {
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
  const checkTime = () => {
    if (now() - started > maxMs)
      throw new ReplayError(
        'REPLAY_TOO_LARGE',
        `the candidate grid (${total} policies over ${set.ids.length} images) took over ${maxMs} ms; stopped after ${candidates.length}`,
        true,
      )
  }
  for (const minConfidence of grid) {
    const knobs = (shape: { edgeBudget: number; ladder: number[] }) =>
      applyKnobs(base, {
        ...shape,
        minConfidence,
        cloudBudget: cloudBudgets[0]!,
        auditRate: base.escalation.auditRate,
      })
    if (set.source === 'calibration') {
      const answers = new Map<number, RungAnswers>()
      for (const b of set.edge.keys()) {
        answers.set(b, rungAnswers(set, knobs({ edgeBudget: b, ladder: [] }), b))
        checkTime()
        yield
      }
      for (const shape of shapes) {
        const pass = walkLadder(set, knobs(shape), answers)
        for (const cloudBudget of cloudBudgets) candidates.push(settle(set, pass, cloudBudget))
      }
    } else {
      const pass = replayEdge(set, knobs(shapes[0]!))
      candidates.push(settle(set, pass))
    }
    checkTime()
    yield
  }
  return { candidates, ms: now() - started }
}

/**
 * The frontier members replayed again rung by rung with decide() (replayPolicy): the figures the
 * API returns. Throws when the grid's figures differ, which would be a bug in the grid's shortcut.
 */
export function verifyFrontier(set: ReplaySet, frontier: readonly ReplayFigures[]): ReplayFigures[] {
  return frontier.map((f) => {
    const r = replayPolicy(set, f.policy)
    const same =
      r.accuracy === f.accuracy &&
      r.escalationRate === f.escalationRate &&
      r.holdRate === f.holdRate &&
      r.climbRate === f.climbRate &&
      r.edgeTokensPer1k === f.edgeTokensPer1k &&
      r.cloudTokensPer1k === f.cloudTokensPer1k &&
      Math.abs(r.latencyMsMean - f.latencyMsMean) <= 1e-9 * Math.max(1, r.latencyMsMean)
    if (!same)
      throw new Error(
        `replay grid and rung-by-rung replay disagree for ${JSON.stringify({ edge: f.policy.edge, cloud: f.policy.cloud, thresholds: f.policy.escalation.thresholds })}`,
      )
    return r
  })
}
