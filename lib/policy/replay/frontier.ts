import { ReplayError } from './errors.ts'
import type { ReplayFigures } from './replay.ts'

/**
 * Candidates no other candidate beats on both cost per 1,000 images (lower) and accuracy
 * (higher), ascending by cost. Of candidates with equal cost and accuracy one stands for all:
 * the fastest (mean latency), then the one escalating least, then the first given.
 */
export function paretoFrontier<
  T extends Pick<ReplayFigures, 'costPer1k' | 'accuracy' | 'latencyMsMean' | 'escalationRate'>,
>(candidates: readonly T[]): T[] {
  const order = candidates
    .map((c, i) => ({ c, i }))
    .sort(
      (a, b) =>
        a.c.costPer1k - b.c.costPer1k ||
        b.c.accuracy - a.c.accuracy ||
        a.c.latencyMsMean - b.c.latencyMsMean ||
        a.c.escalationRate - b.c.escalationRate ||
        a.i - b.i,
    )
  const out: T[] = []
  let best = Number.NEGATIVE_INFINITY
  for (const { c } of order)
    if (c.accuracy > best) {
      out.push(c)
      best = c.accuracy
    }
  return out
}

export type RecommendTarget = { targetAccuracy?: number | null; maxCostPer1k?: number | null }

export type Recommendation<T> = {
  recommended: T | null
  /** Why this one, or why none, in a sentence. */
  explanation: string
  /** Which target was asked for. */
  target: { kind: 'accuracy'; value: number } | { kind: 'cost'; value: number }
}

/**
 * Exactly one target: the cheapest frontier policy with accuracy ≥ `targetAccuracy`, or the most
 * accurate one with cost per 1,000 images ≤ `maxCostPer1k` (the frontier holds the answer to both).
 * @param frontier ascending by cost, as paretoFrontier returns it
 * @param describe names a policy in the explanation
 * @throws ReplayError REPLAY_INPUT_INVALID for both targets, neither, or one out of range
 */
export function recommend<T extends Pick<ReplayFigures, 'costPer1k' | 'accuracy'>>(
  frontier: readonly T[],
  target: RecommendTarget,
  describe: (c: T) => string,
): Recommendation<T> {
  const acc = target.targetAccuracy ?? null
  const cap = target.maxCostPer1k ?? null
  if ((acc === null) === (cap === null))
    throw new ReplayError(
      'REPLAY_INPUT_INVALID',
      `expected exactly one of targetAccuracy and maxCostPer1k but received ${acc === null ? 'neither' : 'both'}`,
    )
  const f3 = (x: number) => x.toFixed(3)
  const money = (x: number) => x.toFixed(4)
  if (acc !== null) {
    if (!(acc >= 0 && acc <= 1))
      throw new ReplayError('REPLAY_INPUT_INVALID', `expected targetAccuracy in [0, 1] but received ${acc}`)
    const hit = frontier.find((c) => c.accuracy >= acc)
    if (hit === undefined) {
      const top = frontier.at(-1)
      return {
        recommended: null,
        target: { kind: 'accuracy', value: acc },
        explanation:
          top === undefined
            ? 'no candidate policies to choose from'
            : `no candidate reaches accuracy ${f3(acc)}: the most accurate of the frontier is ${describe(top)} at ${f3(top.accuracy)} for ${money(top.costPer1k)} per 1,000 images`,
      }
    }
    return {
      recommended: hit,
      target: { kind: 'accuracy', value: acc },
      explanation: `cheapest policy with replayed accuracy ≥ ${f3(acc)}: ${describe(hit)}, accuracy ${f3(hit.accuracy)} for ${money(hit.costPer1k)} per 1,000 images`,
    }
  }
  const c = cap!
  if (!(c >= 0) || !Number.isFinite(c))
    throw new ReplayError('REPLAY_INPUT_INVALID', `expected maxCostPer1k ≥ 0 but received ${c}`)
  let hit: T | undefined
  for (const f of frontier) if (f.costPer1k <= c) hit = f
  if (hit === undefined) {
    const cheapest = frontier[0]
    return {
      recommended: null,
      target: { kind: 'cost', value: c },
      explanation:
        cheapest === undefined
          ? 'no candidate policies to choose from'
          : `no candidate costs ${money(c)} or less per 1,000 images: the cheapest is ${describe(cheapest)} at ${money(cheapest.costPer1k)}`,
    }
  }
  return {
    recommended: hit,
    target: { kind: 'cost', value: c },
    explanation: `most accurate policy costing ≤ ${money(c)} per 1,000 images: ${describe(hit)}, accuracy ${f3(hit.accuracy)} for ${money(hit.costPer1k)}`,
  }
}
