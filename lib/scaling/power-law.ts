import type { PowerLawFitV1 } from '../contracts/scaling-report.v1.ts'

/** One measured point: error rate at a token budget over `count` samples. */
export interface ErrorPoint {
  /** Tokens per image N. */
  budget: number
  /** Error rate in [0, 1]. */
  error: number
  /** Samples behind `error`; used to clamp a zero error. */
  count: number
}

export interface PowerLawFitResult {
  fit: PowerLawFitV1
  /** Budgets whose error was 0 and was clamped to 0.5 / count before taking logs. */
  clamped: number[]
  /** Points used (count > 0). */
  used: number
}

/**
 * Fits error(N) = c · N^(−α) by ordinary least squares on (ln N, ln error).
 * A zero error has no logarithm: it is clamped to 0.5 / count (half an error, the usual
 * continuity correction) and reported in `clamped`. Points with count 0 are skipped.
 * R² is that of the log-log fit; null with fewer than 3 points or when ln error does not vary.
 * With one point α = 0 and c = that error; with none c = 0, α = 0.
 */
export function fitPowerLaw(points: readonly ErrorPoint[]): PowerLawFitResult {
  const r = logLogFit(points.map((p) => ({ budget: p.budget, value: p.error, count: p.count })))
  return { fit: { c: r.c, alpha: r.slope === 0 ? 0 : -r.slope, r2: r.r2 }, clamped: r.clamped, used: r.used }
}

/** One measured point of a quantity that should grow with tokens (a recall, an accuracy). */
export interface PerformancePoint {
  budget: number
  /** In [0, 1]. */
  value: number
  count: number
}

/**
 * Fits performance(N) = c · N^α (α > 0: rises with tokens, α ≈ 0: flat), the form S(N) ≈ c/N^α(N)
 * of the token-scaling paper (Li et al., JMLR 26(253), 2025) with the sign read as growth.
 * Unlike the error form it stays meaningful for a class already near perfect: a recall of
 * 0.988 → 0.995 has α ≈ 0.003, while its error 0.012 → 0.005 has an error-form α of 0.3 that
 * says only that 2–5 images out of 400 moved. Same clamping, R² and edge cases as fitPowerLaw.
 */
export function fitGrowthLaw(points: readonly PerformancePoint[]): PowerLawFitResult {
  const r = logLogFit(points)
  return { fit: { c: r.c, alpha: r.slope, r2: r.r2 }, clamped: r.clamped, used: r.used }
}

function logLogFit(points: readonly PerformancePoint[]): {
  c: number
  slope: number
  r2: number | null
  clamped: number[]
  used: number
} {
  const clamped: number[] = []
  const xs: number[] = []
  const ys: number[] = []
  for (const p of points) {
    if (p.count <= 0 || !(p.budget > 0)) continue
    let v = p.value
    if (v <= 0) {
      v = 0.5 / p.count
      clamped.push(p.budget)
    }
    xs.push(Math.log(p.budget))
    ys.push(Math.log(v))
  }
  const n = xs.length
  if (n === 0) return { c: 0, slope: 0, r2: null, clamped, used: 0 }
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let sxx = 0
  let sxy = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx
    const dy = ys[i]! - my
    sxx += dx * dx
    sxy += dx * dy
    syy += dy * dy
  }
  const slope = sxx > 0 ? sxy / sxx : 0
  const intercept = my - slope * mx
  let r2: number | null = null
  if (n >= 3 && syy > 1e-12) {
    let ssRes = 0
    for (let i = 0; i < n; i++) {
      const r = ys[i]! - (intercept + slope * xs[i]!)
      ssRes += r * r
    }
    r2 = 1 - ssRes / syy
  }
  return { c: Math.exp(intercept), slope, r2, clamped, used: n }
}

/** error(N) predicted by a fit. */
export function predictError(fit: Pick<PowerLawFitV1, 'c' | 'alpha'>, budget: number): number {
  return fit.c * budget ** -fit.alpha
}
