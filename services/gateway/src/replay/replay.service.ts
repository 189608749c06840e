import type { LineRow, Storage } from '../../../../lib/db/index.ts'
import type { PolicyV2 } from '../../../../lib/messaging/index.ts'
import {
  accuracyInterval,
  describePolicy,
  evaluateGridAsync,
  type GridResult,
  loggedSet,
  paretoFrontier,
  type RecommendTarget,
  ReplayError,
  type ReplayFigures,
  type ReplaySet,
  recommend,
  replayPolicy,
  verifyFrontier,
} from '../../../../lib/policy/replay/index.ts'
import { GatewayError } from '../errors.ts'
import type {
  PolicyFrontier,
  PolicyInput,
  Recommendation,
  ReplayResult,
  ReplaySource,
} from '../graphql/resolvers.generated.ts'
import { policyMessage } from '../policy/demo-seed.ts'
import type { CalibrationStore } from './calibration-store.ts'
import { loadLoggedCases } from './logged-cases.ts'
import { proposedPolicy } from './policy-input.ts'

export type ReplayLimits = {
  /** Computation time a candidate grid may take, ms; past it the request fails with REPLAY_TOO_LARGE. */
  maxMs: number
  /** Candidate policies a grid may hold. Default 5,000. */
  maxCandidates?: number
  /** Grids kept in memory (per records and policy). Default 16. */
  cachedGrids?: number
}

const notReplayed = [
  'the hourly cloud token cap is not replayed (every escalation is answered); the deadline neither',
  'latency is model compute per image (the manifests’ metrics at batch 32): edge at every rung tried, plus the cloud when escalated; no queueing or network',
]

/** What a policy needs from the set to be replayed, as a cache key (identity fields left out). */
function gridKey(p: PolicyV2): string {
  const { version: _v, author: _a, reason: _r, createdAt: _c, rolledBackTo: _b, ...rest } = p
  return JSON.stringify(rest)
}

/**
 * Frontier, recommendation and replay of a line's policies over calibration records (the line's
 * edge and cloud models) or its logged inspections. Calibration grids are cached per records and
 * policy, so only the first request after a policy change computes one.
 */
export class ReplayService {
  /** Per set and policy, the grid or the computation of it (concurrent requests share one). */
  private readonly grids = new WeakMap<ReplaySet, Map<string, Promise<GridResult>>>()
  /** Bootstrap intervals already computed, by figures (the frontier of a cached grid is asked again). */
  private readonly intervals = new WeakMap<ReplayFigures, [number, number]>()

  constructor(
    private readonly store: CalibrationStore,
    private readonly limits: ReplayLimits,
  ) {}

  async frontier(storage: Storage, line: LineRow, source: ReplaySource): Promise<PolicyFrontier> {
    const { set, current, candidates, frontier } = await this.search(storage, line, source)
    return {
      lineId: line.id,
      source,
      dataset: set.dataset,
      images: set.ids.length,
      candidates: candidates.length,
      frontier: frontier.map((f) => this.result(set, source, f, true)),
      current: current === null ? null : this.result(set, source, current, !dominated(candidates, current)),
    }
  }

  async recommend(
    storage: Storage,
    line: LineRow,
    source: ReplaySource,
    target: RecommendTarget,
  ): Promise<Recommendation> {
    const acc = target.targetAccuracy ?? null
    const cap = target.maxCostPer1k ?? null
    if ((acc === null) === (cap === null))
      throw new GatewayError(
        'GATEWAY_ARGUMENT_INVALID',
        `expected exactly one of targetAccuracy and maxCostPer1k but received ${acc === null ? 'neither' : 'both'}`,
      )
    const { set, current, candidates, frontier } = await this.search(storage, line, source)
    const rec = guard(() => recommend(frontier, target, (c) => describePolicy(c.policy)))
    // The recommendation is replayed again rung by rung with decide(): the grid's shortcut must agree.
    const recommended = rec.recommended === null ? null : verifyFrontier(set, [rec.recommended])[0]!
    const vsCurrent =
      current === null || recommended === null
        ? ''
        : `; the current policy replays at accuracy ${current.accuracy.toFixed(3)} for ${current.costPer1k.toFixed(4)} per 1,000 images`
    return {
      recommended: recommended === null ? null : this.result(set, source, recommended, true),
      explanation: `${rec.explanation}${vsCurrent} (${set.ids.length} images, ${source === 'CALIBRATION' ? 'calibration records' : 'logged inspections'})`,
      current: current === null ? null : this.result(set, source, current, !dominated(candidates, current)),
      frontier: frontier.map((f) => this.result(set, source, f, true)),
    }
  }

  async replay(
    storage: Storage,
    line: LineRow,
    input: PolicyInput,
    source: ReplaySource,
  ): Promise<ReplayResult> {
    const current = await currentPolicy(storage, line)
    const proposed = proposedPolicy(input, current)
    for (const model of [proposed.edge.model, proposed.cloud.model])
      if (!(await this.store.hasModel(model)))
        throw new GatewayError('GATEWAY_ARGUMENT_INVALID', `policy: unknown model ${JSON.stringify(model)}`)
    if (source === 'LOGGED') {
      const fixed = (p: PolicyV2) => JSON.stringify([p.edge, p.cloud, p.question, p.egress.mode === 'none'])
      if (fixed(proposed) !== fixed(current))
        throw new GatewayError(
          'GATEWAY_ARGUMENT_INVALID',
          'a LOGGED replay varies thresholds, always-escalate classes, the audit rate and prices only: the edge model, budget and ladder, the cloud model and budget, the question and egress none must be those of the line’s current policy (use source CALIBRATION to change them)',
        )
    }
    const set = await this.setFor(storage, line, proposed, source)
    const figures = guard(() => replayPolicy(set, proposed))
    // On the frontier of the line's candidate grid, when both are priced and replayed alike.
    const comparable =
      proposed.edge.model === current.edge.model &&
      proposed.cloud.model === current.cloud.model &&
      proposed.question === current.question &&
      JSON.stringify(proposed.costPer1kTokens) === JSON.stringify(current.costPer1kTokens)
    const pareto = comparable && !dominated((await this.grid(set, current)).candidates, figures)
    return this.result(set, source, figures, pareto)
  }

  /** The line's set and current policy, every candidate replayed, and the frontier. */
  private async search(storage: Storage, line: LineRow, source: ReplaySource) {
    const current = await currentPolicy(storage, line)
    const set = await this.setFor(storage, line, current, source)
    const grid = await this.grid(set, current)
    const frontier = paretoFrontier(grid.candidates)
    let replayed: ReplayFigures | null = null
    try {
      replayed = replayPolicy(set, current)
    } catch (err) {
      // The current policy may use a budget without records; the frontier still stands.
      if (!(err instanceof ReplayError && err.code === 'REPLAY_INPUT_INVALID')) throw err
    }
    return { set, current: replayed, candidates: grid.candidates, frontier }
  }

  private grid(set: ReplaySet, base: PolicyV2): Promise<GridResult> {
    const cacheable = set.source === 'calibration'
    const key = gridKey(base)
    const perSet = cacheable ? (this.grids.get(set) ?? new Map<string, Promise<GridResult>>()) : undefined
    const hit = perSet?.get(key)
    if (hit) return hit
    const grid = evaluateGridAsync(set, base, {
      maxMs: this.limits.maxMs,
      ...(this.limits.maxCandidates === undefined ? {} : { maxCandidates: this.limits.maxCandidates }),
    }).catch((err: unknown) => {
      perSet?.delete(key)
      return guard(() => {
        throw err
      })
    })
    if (perSet) {
      if (perSet.size >= (this.limits.cachedGrids ?? 16)) perSet.delete(perSet.keys().next().value!)
      perSet.set(key, grid)
      this.grids.set(set, perSet)
    }
    return grid
  }

  private async setFor(
    storage: Storage,
    line: LineRow,
    policy: PolicyV2,
    source: ReplaySource,
  ): Promise<ReplaySet> {
    if (source === 'CALIBRATION')
      return this.store.set(policy.edge.model, policy.cloud.model, policy.question)
    const logged = await loadLoggedCases(storage, line.id, {
      edge: policy.edge.model,
      cloud: policy.cloud.model,
    })
    const model = await storage.models.get(policy.edge.model)
    const set = loggedSet({
      cases: logged.cases,
      labels: model?.labels ?? [],
      edgeModel: policy.edge.model,
      cloudModel: policy.cloud.model,
      question: policy.question,
      dataset: `logged inspections of line ${line.id} (newest ${logged.scanned}${logged.truncated ? ', older ones not read' : ''})`,
    })
    if (set.ids.length === 0)
      throw new GatewayError(
        'GATEWAY_REPLAY_NO_RECORDS',
        `line ${line.id} has no logged inspections by ${policy.edge.model} with a cloud verdict or a review to replay`,
      )
    return set
  }

  private result(set: ReplaySet, source: ReplaySource, f: ReplayFigures, pareto: boolean): ReplayResult {
    let interval = this.intervals.get(f)
    if (interval === undefined) {
      interval = accuracyInterval(f.correct)
      this.intervals.set(f, interval)
    }
    const [low, high] = interval
    const t = f.policy.escalation.thresholds
    return {
      policy: {
        edgeModel: f.policy.edge.model,
        edgeBudget: f.policy.edge.budget,
        ladder: [...f.policy.edge.ladder],
        cloudModel: f.policy.cloud.model,
        cloudBudget: f.policy.cloud.budget,
        minConfidence: t.minConfidence ?? null,
        minMargin: t.minMargin ?? null,
        maxEntropy: t.maxEntropy ?? null,
        auditRate: f.policy.escalation.auditRate,
        question: set.question !== null && set.question === f.policy.question,
      },
      source,
      images: f.images,
      accuracy: f.accuracy,
      accuracyLow: low,
      accuracyHigh: high,
      perClassRecall: Object.entries(f.perClassRecall).map(([label, value]) => ({ label, value })),
      escalationRate: f.escalationRate,
      holdRate: f.holdRate,
      climbRate: f.climbRate,
      edgeTokensPer1k: f.edgeTokensPer1k,
      cloudTokensPer1k: f.cloudTokensPer1k,
      costPer1k: f.costPer1k,
      latencyMsMean: f.latencyMsMean,
      latencyMsP95: f.latencyMsP95,
      pareto,
      notes: [...notReplayed, ...set.notes],
    }
  }
}

/** Whether a candidate is cheaper and at least as accurate. */
function dominated(candidates: readonly ReplayFigures[], f: ReplayFigures): boolean {
  return candidates.some((c) => c.costPer1k < f.costPer1k && c.accuracy >= f.accuracy)
}

async function currentPolicy(storage: Storage, line: LineRow): Promise<PolicyV2> {
  const row = await storage.policies.current(line.id)
  if (!row) throw new GatewayError('GATEWAY_NOT_FOUND', `line ${line.id} has no policy to replay`)
  return policyMessage(row)
}

/** Replay errors as the gateway's codes. */
function guard<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (!(err instanceof ReplayError)) throw err
    const code =
      err.code === 'REPLAY_TOO_LARGE'
        ? 'GATEWAY_REPLAY_TOO_LARGE'
        : err.code === 'REPLAY_RECORDS_INVALID'
          ? 'GATEWAY_REPLAY_NO_RECORDS'
          : 'GATEWAY_ARGUMENT_INVALID'
    throw new GatewayError(code, err.message, err.retriable, { cause: err })
  }
}
