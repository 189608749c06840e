import { fitGrowthLaw, fitPowerLaw } from './power-law.ts'

/** One model's predictions at one budget over a labelled set (label indices, manifest order). */
export interface BudgetPredictions {
  budget: number
  truth: ArrayLike<number>
  predicted: ArrayLike<number>
}

/** Lower and upper end of a percentile interval. */
export type Interval = [number, number]

export interface ExponentIntervals {
  /** α of error(N) = c·N^(−α) on overall error. */
  overall: Interval
  /** α of error(N) = c·N^(−α) on 1 − recall, per class. */
  perClass: Record<string, Interval>
  /** α of recall(N) = c·N^α, per class. */
  perClassRecall: Record<string, Interval>
}

export interface BootstrapOptions {
  /** Resamples; default 400 (the 5th/95th percentiles move by < 0.01 beyond that on 2,000 images). */
  draws?: number
  /** Central coverage of the interval; default 0.9. */
  level?: number
  /** PRNG seed, so a report is reproducible; default 1. */
  seed?: number
}

/**
 * Paired percentile-bootstrap intervals of the fitted exponents: each draw resamples the images
 * with replacement, applies the same resample at every budget (the budgets saw the same images,
 * so their errors are correlated and must move together), recomputes overall and per-class
 * error and recall, and refits. An interval that is wide or straddles 0 says the exponent is
 * not determined by this set: for a class with 2–5 errors in 400 the error-form α can be
 * anything from negative to large.
 * @throws RangeError when the budgets did not see the same images (lengths or truths differ).
 */
export function exponentIntervals(
  evaluations: readonly BudgetPredictions[],
  labels: readonly string[],
  opts: BootstrapOptions = {},
): ExponentIntervals {
  const draws = opts.draws ?? 400
  const level = opts.level ?? 0.9
  if (!(draws >= 2) || !(level > 0 && level < 1))
    throw new RangeError(`Expected draws >= 2 and 0 < level < 1 but received ${draws} and ${level}`)
  const first = evaluations[0]
  const m = first?.truth.length ?? 0
  for (const ev of evaluations) {
    if (ev.truth.length !== m || ev.predicted.length !== m)
      throw new RangeError(
        `Expected the same ${m} images at every budget but budget ${ev.budget} has ${ev.truth.length} truths and ${ev.predicted.length} predictions`,
      )
    for (let i = 0; i < m; i++)
      if (ev.truth[i] !== first!.truth[i])
        throw new RangeError(
          `Expected the same images at every budget but image ${i} differs at budget ${ev.budget}`,
        )
  }
  const k = labels.length
  const rand = mulberry32(opts.seed ?? 1)
  const overall: number[] = []
  const perClass = labels.map(() => [] as number[])
  const perClassRecall = labels.map(() => [] as number[])
  const count = new Float64Array(k)
  const hits = evaluations.map(() => new Float64Array(k))
  const idx = new Int32Array(m)
  for (let d = 0; d < draws && m > 0; d++) {
    for (let i = 0; i < m; i++) idx[i] = Math.floor(rand() * m)
    count.fill(0)
    for (let i = 0; i < m; i++) count[first!.truth[idx[i]!]!]!++
    evaluations.forEach((ev, b) => {
      const h = hits[b]!
      h.fill(0)
      for (let i = 0; i < m; i++) {
        const j = idx[i]!
        const t = ev.truth[j]!
        if (ev.predicted[j] === t) h[t]!++
      }
    })
    overall.push(
      fitPowerLaw(
        evaluations.map((ev, b) => ({
          budget: ev.budget,
          error: 1 - hits[b]!.reduce((a, x) => a + x, 0) / m,
          count: m,
        })),
      ).fit.alpha,
    )
    for (let c = 0; c < k; c++) {
      const n = count[c]!
      if (n === 0) continue
      const recall = evaluations.map((ev, b) => ({ budget: ev.budget, value: hits[b]![c]! / n, count: n }))
      perClass[c]!.push(
        fitPowerLaw(recall.map((p) => ({ budget: p.budget, error: 1 - p.value, count: n }))).fit.alpha,
      )
      perClassRecall[c]!.push(fitGrowthLaw(recall).fit.alpha)
    }
  }
  const out: ExponentIntervals = { overall: percentiles(overall, level), perClass: {}, perClassRecall: {} }
  labels.forEach((label, c) => {
    if (perClass[c]!.length === 0) return
    out.perClass[label] = percentiles(perClass[c]!, level)
    out.perClassRecall[label] = percentiles(perClassRecall[c]!, level)
  })
  return out
}

/** Nearest-rank percentiles at (1 − level)/2 and (1 + level)/2; [0, 0] for no values. */
function percentiles(values: number[], level: number): Interval {
  if (values.length === 0) return [0, 0]
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!
  return [at((1 - level) / 2), at((1 + level) / 2)]
}

/** Small seeded PRNG (mulberry32), uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
