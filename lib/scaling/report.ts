import type { z } from 'zod'
import { type ScalingReportV1, type scalingPointV1, scalingReportV1 } from '../contracts/scaling-report.v1.ts'
import { type BootstrapOptions, type BudgetPredictions, exponentIntervals } from './bootstrap.ts'
import { expectedCalibrationError } from './calibration.ts'
import type { BudgetEvaluation } from './evaluate.ts'
import { isUpsampled, type NativeSize } from './native-resolution.ts'
import { fitGrowthLaw, fitPowerLaw } from './power-law.ts'
import { accuracyOf, perClassRecall } from './recall.ts'

export type ScalingPoint = z.output<typeof scalingPointV1>

/** A scaling point plus figures the report schema has no field for. */
export interface BudgetSummary {
  point: ScalingPoint
  /** Yes/no accuracy obtained by reading the answer off the predicted class (no answer head). */
  answerFromClassAccuracy?: number
  /** Fused passes: class accuracy of the vision-only pass at this budget. */
  visionAccuracy?: number
}

/**
 * The true yes/no answer per image: yes when the image's class answers yes or, for an image with
 * a second defect (`also`), when that class does ("is there a stain?" on a cracked, stained part).
 */
export function imageAnswers(
  ev: Pick<BudgetEvaluation, 'truth' | 'also'>,
  labels: readonly string[],
  answerTruth: (className: string) => boolean,
): boolean[] {
  return Array.from(ev.truth, (t, i) => {
    const also = ev.also?.[i] ?? -1
    return answerTruth(labels[t]!) || (also >= 0 && answerTruth(labels[also]!))
  })
}

/** Yes/no accuracy of answers read off predicted classes. */
export function answerFromClass(
  ev: Pick<BudgetEvaluation, 'truth' | 'predicted' | 'also'>,
  labels: readonly string[],
  answerTruth: (className: string) => boolean,
): number {
  const n = ev.truth.length
  if (n === 0) return 0
  const truth = imageAnswers(ev, labels, answerTruth)
  let hit = 0
  for (let i = 0; i < n; i++) if (answerTruth(labels[ev.predicted[i]!]!) === truth[i]) hit++
  return hit / n
}

/**
 * Yes/no accuracy of the Bayes decision on the class posterior: yes iff the probabilities of the
 * classes that answer yes sum to more than 0.5. The strongest answer a vision-only pass offers.
 */
export function answerFromPosterior(
  ev: Pick<BudgetEvaluation, 'truth' | 'probabilities' | 'also'>,
  labels: readonly string[],
  answerTruth: (className: string) => boolean,
): number {
  const n = ev.truth.length
  if (n === 0) return 0
  const k = labels.length
  const yes = labels.map((l) => answerTruth(l))
  const truth = imageAnswers(ev, labels, answerTruth)
  let hit = 0
  for (let i = 0; i < n; i++) {
    let p = 0
    for (let c = 0; c < k; c++) if (yes[c]) p += ev.probabilities[i * k + c]!
    if (p > 0.5 === truth[i]) hit++
  }
  return hit / n
}

/**
 * Accuracy, per-class recall, ECE (15 bins), latency and, with a question whose truth is known,
 * the accuracy of the answer head (p > 0.5 = yes) and of the answer read off the class.
 */
export function summariseBudget(
  ev: BudgetEvaluation,
  labels: readonly string[],
  answerTruth?: (className: string) => boolean,
): BudgetSummary {
  const n = ev.truth.length
  const accuracy = accuracyOf(ev.truth, ev.predicted)
  const correct = Array.from(ev.truth, (t, i) => t === ev.predicted[i])
  const point: ScalingPoint = {
    budget: ev.budget,
    accuracy,
    error: 1 - accuracy,
    ece: expectedCalibrationError(ev.confidence, correct),
    latencyMsPerImage: n > 0 ? ev.runMs / n : 0,
    tokensPerImage: ev.budget,
    perClass: perClassRecall(ev.truth, ev.predicted, labels),
  }
  const summary: BudgetSummary = { point }
  if (answerTruth && n > 0) {
    const truth = imageAnswers(ev, labels, answerTruth)
    summary.answerFromClassAccuracy = answerFromClass(ev, labels, answerTruth)
    if (ev.answerProbability)
      point.answerAccuracy = truth.filter((yes, i) => ev.answerProbability![i]! > 0.5 === yes).length / n
  }
  return summary
}

export interface ReportInput {
  model: string
  modelSha256: string
  dataset: { path: string; count: number; description?: string }
  question: string | null
  command: string
  points: ScalingPoint[]
  /**
   * Per-image predictions behind the points (same images at every budget), with the labels in
   * index order: when given, every α gets a bootstrap interval.
   */
  predictions?: {
    labels: readonly string[]
    budgets: readonly BudgetPredictions[]
    bootstrap?: BootstrapOptions
  }
  createdAt?: Date
  /**
   * The source images' size and the model's patch side: points whose grid exceeds it are marked
   * `upsampled` and left out of the fits unless `includeUpsampled`. Absent: nothing is marked.
   */
  native?: { size: NativeSize; patchSize: number; includeUpsampled?: boolean }
}

/**
 * Fits error(N) = c·N^(−α) overall and per class, and recall(N) = c·N^α per class, over the
 * points, adds bootstrap intervals when the predictions are given, and assembles a validated
 * tokenline.scaling-report.v1. `notes` says which values were clamped (0 → 0.5 / count).
 */
export function buildScalingReport(input: ReportInput): { report: ScalingReportV1; notes: string[] } {
  const notes: string[] = []
  const native = input.native
  const points = native
    ? input.points.map((p) => ({ ...p, upsampled: isUpsampled(p.budget, native.patchSize, native.size) }))
    : [...input.points]
  const upsampled = points.filter((p) => p.upsampled).map((p) => p.budget)
  const fitted = native && !native.includeUpsampled ? points.filter((p) => !p.upsampled) : points
  if (native && upsampled.length > 0) {
    const size = `${native.size.width}×${native.size.height} px`
    notes.push(
      native.includeUpsampled
        ? `budgets ${upsampled.join(', ')} upsample the ${size} source images; fitted anyway (asked to)`
        : `budgets ${upsampled.join(', ')} upsample the ${size} source images and are left out of the fits${fitted.length < 2 ? ` (${fitted.length} budget left: α is 0 by construction)` : ''}`,
    )
  }
  const fittedBudgets = new Set(fitted.map((p) => p.budget))
  const overall = fitPowerLaw(
    fitted.map((p) => ({ budget: p.budget, error: p.error, count: input.dataset.count })),
  )
  if (overall.clamped.length > 0)
    notes.push(`overall error 0 at budget ${overall.clamped.join(', ')} clamped to 0.5/count for the fit`)
  const classes = [...new Set(points.flatMap((p) => Object.keys(p.perClass)))]
  const perClass: ScalingReportV1['fits']['perClass'] = {}
  const perClassRecall: ScalingReportV1['fits']['perClass'] = {}
  for (const c of classes) {
    const pts = fitted.flatMap((p) => {
      const pc = p.perClass[c]
      return pc ? [{ budget: p.budget, ...pc }] : []
    })
    const r = fitPowerLaw(pts.map((p) => ({ budget: p.budget, error: p.error, count: p.count })))
    perClass[c] = r.fit
    if (r.clamped.length > 0)
      notes.push(`${c}: error 0 at budget ${r.clamped.join(', ')} clamped to 0.5/count for the fit`)
    const g = fitGrowthLaw(pts.map((p) => ({ budget: p.budget, value: p.recall, count: p.count })))
    perClassRecall[c] = g.fit
    if (g.clamped.length > 0)
      notes.push(`${c}: recall 0 at budget ${g.clamped.join(', ')} clamped to 0.5/count for the fit`)
  }
  if (input.predictions) {
    const iv = exponentIntervals(
      input.predictions.budgets.filter((b) => fittedBudgets.has(b.budget)),
      input.predictions.labels,
      input.predictions.bootstrap,
    )
    overall.fit.alphaInterval = iv.overall
    for (const c of classes) {
      if (iv.perClass[c] && perClass[c]) perClass[c].alphaInterval = iv.perClass[c]
      if (iv.perClassRecall[c] && perClassRecall[c]) perClassRecall[c].alphaInterval = iv.perClassRecall[c]
    }
  }
  const report = scalingReportV1.parse({
    schema: 'tokenline.scaling-report.v1',
    model: input.model,
    modelSha256: input.modelSha256,
    dataset: native
      ? { ...input.dataset, nativeSize: native.size, patchSize: native.patchSize }
      : input.dataset,
    question: input.question,
    createdAt: (input.createdAt ?? new Date()).toISOString(),
    command: input.command,
    points: points.sort((a, b) => a.budget - b.budget),
    fits: {
      overall: overall.fit,
      perClass,
      perClassRecall,
      ...(native
        ? {
            budgets: [...fittedBudgets].sort((a, b) => a - b),
            includesUpsampled: native.includeUpsampled === true && upsampled.length > 0,
          }
        : {}),
    },
  })
  return { report, notes }
}
