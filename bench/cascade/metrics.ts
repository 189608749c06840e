/**
 * Figures of one policy's live run, from the final verdicts the gateway stores, and the
 * comparisons across policies (Pareto frontier, the promise check). Pure: no I/O.
 */

/** One image as the gateway settled it. */
export type SettledCase = {
  /** Reference label of the held-out image. */
  truth: string
  /** Final verdict label (edge, cloud or a person); null when never settled. */
  verdict: string | null
  escalated: boolean
  /** Budgets the edge tried, in order. */
  ladder: number[]
  edgeTokens: number
  /** Vision tokens at the cloud budget plus question tokens, 0 when not escalated. */
  cloudTokens: number
  /** At the policy's prices per 1,000 tokens on each tier. */
  cost: number
  /** Edge ingest → final verdict, ms. */
  latencyMs: number | null
  /** The image has two defects (labelled by the more severe one). */
  twoDefects: boolean
}

export type PolicyFigures = {
  images: number
  accuracy: number
  /** Accuracy on the images with at most one defect, and on those with two (null when none). */
  accuracyOneDefect: number | null
  accuracyTwoDefects: number | null
  /** Escalation rate on the same two groups (the calibration records hold one-defect images only). */
  escalationRateOneDefect: number | null
  escalationRateTwoDefects: number | null
  /** Recall per reference label (labels with at least one image). */
  perClassRecall: Record<string, number>
  /** Of the images with a defect (truth ≠ `okLabel`), the fraction whose verdict is `okLabel`. */
  missedDefectRate: number
  escalationRate: number
  /** Fraction that climbed at least one rung of the on-site ladder. */
  climbRate: number
  edgeTokensPer1k: number
  cloudTokensPer1k: number
  costPer1k: number
  latencyMsP50: number
  latencyMsP99: number
  /** Per image, 1 when the verdict equals the reference (for paired comparisons). */
  correct: Uint8Array
}

/** Nearest-rank percentile (q in [0, 1]) of `values`; 0 for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil(q * sorted.length))
  return sorted[rank - 1]!
}

/** Figures of one policy over its settled cases (`okLabel` names the no-defect class). */
export function policyFigures(cases: readonly SettledCase[], okLabel = 'ok'): PolicyFigures {
  const n = cases.length
  const count = new Map<string, number>()
  const hits = new Map<string, number>()
  const correct = new Uint8Array(n)
  let right = 0
  let defects = 0
  let missed = 0
  let escalated = 0
  let climbed = 0
  let edgeTokens = 0
  let cloudTokens = 0
  let cost = 0
  const latencies: number[] = []
  /** Per group (one defect or none, two defects): right, images, escalated. */
  const byDefects = [
    [0, 0, 0],
    [0, 0, 0],
  ] as [number, number, number][]
  cases.forEach((c, i) => {
    const group = byDefects[c.twoDefects ? 1 : 0]!
    group[1]++
    if (c.verdict === c.truth) group[0]++
    if (c.escalated) group[2]++
    count.set(c.truth, (count.get(c.truth) ?? 0) + 1)
    if (c.verdict === c.truth) {
      correct[i] = 1
      right++
      hits.set(c.truth, (hits.get(c.truth) ?? 0) + 1)
    }
    if (c.truth !== okLabel) {
      defects++
      if (c.verdict === okLabel) missed++
    }
    if (c.escalated) escalated++
    if (c.ladder.length > 1) climbed++
    edgeTokens += c.edgeTokens
    cloudTokens += c.cloudTokens
    cost += c.cost
    if (c.latencyMs !== null) latencies.push(c.latencyMs)
  })
  const per1k = (x: number) => (n > 0 ? (x / n) * 1000 : 0)
  const perClassRecall: Record<string, number> = {}
  for (const [label, k] of [...count].sort(([a], [b]) => a.localeCompare(b)))
    perClassRecall[label] = (hits.get(label) ?? 0) / k
  return {
    images: n,
    accuracy: n > 0 ? right / n : 0,
    accuracyOneDefect: byDefects[0]![1] > 0 ? byDefects[0]![0] / byDefects[0]![1] : null,
    accuracyTwoDefects: byDefects[1]![1] > 0 ? byDefects[1]![0] / byDefects[1]![1] : null,
    escalationRateOneDefect: byDefects[0]![1] > 0 ? byDefects[0]![2] / byDefects[0]![1] : null,
    escalationRateTwoDefects: byDefects[1]![1] > 0 ? byDefects[1]![2] / byDefects[1]![1] : null,
    perClassRecall,
    missedDefectRate: defects > 0 ? missed / defects : 0,
    escalationRate: n > 0 ? escalated / n : 0,
    climbRate: n > 0 ? climbed / n : 0,
    edgeTokensPer1k: per1k(edgeTokens),
    cloudTokensPer1k: per1k(cloudTokens),
    costPer1k: per1k(cost),
    latencyMsP50: percentile(latencies, 0.5),
    latencyMsP99: percentile(latencies, 0.99),
    correct,
  }
}

export type Point = { name: string; accuracy: number; cloudTokensPer1k: number }

/**
 * Names of the points on the frontier: no other point has at most as many cloud tokens and a higher
 * accuracy, or fewer tokens and the same accuracy. Ascending by cloud tokens.
 */
export function paretoNames(points: readonly Point[]): string[] {
  const sorted = [...points].sort(
    (a, b) => a.cloudTokensPer1k - b.cloudTokensPer1k || b.accuracy - a.accuracy,
  )
  const out: string[] = []
  let best = Number.NEGATIVE_INFINITY
  for (const p of sorted)
    if (p.accuracy > best) {
      out.push(p.name)
      best = p.accuracy
    }
  return out
}

/**
 * 90 % paired bootstrap interval of accuracy(a) − accuracy(b) over the same images (`rounds`
 * resamples, a fixed-seed generator so reruns print the same interval for the same verdicts).
 */
export function pairedDifferenceInterval(
  a: Uint8Array,
  b: Uint8Array,
  rounds = 2000,
): [low: number, high: number] {
  const n = a.length
  if (n === 0 || b.length !== n) return [0, 0]
  const diff = new Int8Array(n)
  for (let i = 0; i < n; i++) diff[i] = a[i]! - b[i]!
  let state = 0x9e3779b9
  const next = () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const means = new Float64Array(rounds)
  for (let r = 0; r < rounds; r++) {
    let s = 0
    for (let i = 0; i < n; i++) s += diff[Math.floor(next() * n)]!
    means[r] = s / n
  }
  means.sort()
  return [means[Math.floor(0.05 * (rounds - 1))]!, means[Math.ceil(0.95 * (rounds - 1))]!]
}

export type PromiseCheck = {
  /** Accuracy of the all-cloud baseline. */
  baselineAccuracy: number
  baselineCloudTokensPer1k: number
  /** Cheapest candidate within `tolerance` (absolute accuracy) of the baseline, or null. */
  absolute: PromisePick | null
  /** Cheapest candidate with accuracy ≥ (1 − tolerance) × the baseline's, or null. */
  relative: PromisePick | null
  tolerance: number
  /** Largest allowed cloud-token fraction of the baseline's (0.15). */
  maxTokenFraction: number
  /** The absolute pick exists and uses at most maxTokenFraction of the baseline's cloud tokens. */
  met: boolean
}

export type PromisePick = { name: string; accuracy: number; cloudTokensPer1k: number; tokenFraction: number }

/**
 * The promise "within 1 % of all-cloud accuracy for at most 15 % of all-cloud cloud tokens":
 * among `candidates`, the one with the fewest cloud tokens whose accuracy is within `tolerance`.
 */
export function checkPromise(
  baseline: Point,
  candidates: readonly Point[],
  tolerance = 0.01,
  maxTokenFraction = 0.15,
): PromiseCheck {
  const pick = (ok: (p: Point) => boolean): PromisePick | null => {
    const best = [...candidates]
      .filter(ok)
      .sort((a, b) => a.cloudTokensPer1k - b.cloudTokensPer1k || b.accuracy - a.accuracy)[0]
    if (best === undefined) return null
    return {
      name: best.name,
      accuracy: best.accuracy,
      cloudTokensPer1k: best.cloudTokensPer1k,
      tokenFraction: baseline.cloudTokensPer1k > 0 ? best.cloudTokensPer1k / baseline.cloudTokensPer1k : 0,
    }
  }
  // 1e-12 so an accuracy exactly at the bound (both from the same n) is not lost to rounding.
  const absolute = pick((p) => p.accuracy >= baseline.accuracy - tolerance - 1e-12)
  const relative = pick((p) => p.accuracy >= baseline.accuracy * (1 - tolerance) - 1e-12)
  return {
    baselineAccuracy: baseline.accuracy,
    baselineCloudTokensPer1k: baseline.cloudTokensPer1k,
    absolute,
    relative,
    tolerance,
    maxTokenFraction,
    met: absolute !== null && absolute.tokenFraction <= maxTokenFraction,
  }
}
