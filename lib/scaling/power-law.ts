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
  const clamped: number[] = []
  const xs: number[] = []
  const ys: number[] = []
  for (const p of points) {
    if (p.count <= 0 || !(p.budget > 0)) continue
    let e = p.error
    if (e <= 0) {
      e = 0.5 / p.count
      clamped.push(p.budget)
    }
    xs.push(Math.log(p.budget))
    ys.push(Math.log(e))
  }
  const n = xs.length
  if (n === 0) return { fit: { c: 0, alpha: 0, r2: null }, clamped, used: 0 }
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
  return { fit: { c: Math.exp(intercept), alpha: slope === 0 ? 0 : -slope, r2 }, clamped, used: n }
}

/** error(N) predicted by a fit. */
export function predictError(fit: Pick<PowerLawFitV1, 'c' | 'alpha'>, budget: number): number {
  return fit.c * budget ** -fit.alpha
}
