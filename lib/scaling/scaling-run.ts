import type { ScalingReportV1 } from '../contracts/scaling-report.v1.ts'
import { InferencePool, type InferencePoolOptions } from '../inference/inference.pool.ts'
import type { LoadedModel } from '../inference/model.loader.ts'
import type { DatasetItem } from '../vision/dataset/folder.ts'
import { tokenizeQuestion } from '../vision/question.ts'
import { type BudgetEvaluation, evaluateBudget, type FusedQuestion } from './evaluate.ts'
import type { NativeSize } from './native-resolution.ts'
import { answerTruth, questionTarget } from './question.ts'
import {
  answerFromClass,
  answerFromPosterior,
  type BudgetSummary,
  buildScalingReport,
  summariseBudget,
} from './report.ts'

export interface ScalingRunOptions {
  model: LoadedModel
  items: readonly DatasetItem[]
  dataset: { path: string; description?: string }
  budgets: readonly number[]
  /** Questions fused into every image, one pass each (models with a question input only). */
  questions?: readonly string[]
  /** Also evaluate without a question, to measure what fusion adds. */
  compareQuestion?: boolean
  /** Recorded in the report as the command that produced it. */
  command: string
  /** Pool knobs; default one worker with two intra-op threads. */
  pool?: InferencePoolOptions
  /** Images per session.run. Default 32. */
  batchSize?: number
  onProgress?: (done: number, total: number) => void
  /**
   * The images' own size (px): budgets beyond it are marked upsampled and left out of the fits
   * unless `includeUpsampled` (lib/scaling/native-resolution.ts).
   */
  native?: { size: NativeSize; includeUpsampled?: boolean }
}

/** One evaluation pass (all budgets) with one question or none. */
export interface ScalingPass {
  question: string | null
  report: ScalingReportV1
  summaries: BudgetSummary[]
  notes: string[]
  /** The raw per-image predictions of every budget, in `budgets` order (for per-image records). */
  evaluations: BudgetEvaluation[]
}

/**
 * Evaluates a model at every budget on a labelled set through an InferencePool (the serving
 * path): one pass per question, and with `compareQuestion` (or no question) a vision-only pass,
 * which comes first. Fused passes also carry the vision-only class accuracy and the yes/no
 * accuracy read off the vision-only classes, so what fusion adds is measured on the same images.
 * @throws RangeError for budgets the model lacks, a question for a model without a question
 *   input, or compareQuestion without a question.
 */
export async function runScaling(opts: ScalingRunOptions): Promise<ScalingPass[]> {
  const manifest = opts.model.manifest
  const questions = opts.questions ?? []
  for (const b of opts.budgets)
    if (!manifest.budgets.includes(b))
      throw new RangeError(
        `Expected --budgets within model ${manifest.name}'s budgets ${manifest.budgets.join(', ')} but received ${b}`,
      )
  const vocab = manifest.io.question ? manifest.question : undefined
  if (questions.length > 0 && !vocab)
    throw new RangeError(
      `Expected a model with a question input for --question but ${manifest.name} (${manifest.role}) has none`,
    )
  if (opts.compareQuestion && questions.length === 0)
    throw new RangeError('Expected --question "<text>" with --compare-question')
  const ok = manifest.labels.includes('ok') ? 'ok' : manifest.labels[0]!
  const fused: FusedQuestion[] = vocab
    ? questions.map((text) => {
        const target = questionTarget(text)
        return {
          text,
          ids: tokenizeQuestion(text, vocab.vocab, vocab.maxLength),
          ...(target ? { truth: answerTruth(target, ok) } : {}),
        }
      })
    : []
  const passes: Array<FusedQuestion | null> =
    fused.length === 0 ? [null] : opts.compareQuestion ? [null, ...fused] : fused
  const total = opts.items.length * opts.budgets.length * passes.length
  let finished = 0
  const pool = await InferencePool.start([opts.model], {
    workers: 1,
    intraOpNumThreads: 2,
    maxBatch: opts.batchSize ?? 32,
    maxDelayMs: 0,
    ...opts.pool,
  })
  try {
    const vision = new Map<number, BudgetEvaluation>()
    const out: ScalingPass[] = []
    for (const q of passes) {
      const summaries: BudgetSummary[] = []
      const evaluations: BudgetEvaluation[] = []
      for (const budget of opts.budgets) {
        const ev = await evaluateBudget({
          pool,
          model: opts.model,
          items: opts.items,
          budget,
          batchSize: opts.batchSize ?? 32,
          ...(q ? { question: q } : {}),
          onProgress: (done) => opts.onProgress?.(finished + done, total),
        })
        finished += opts.items.length
        evaluations.push(ev)
        const summary = summariseBudget(ev, manifest.labels, q?.truth)
        const plain = vision.get(budget)
        if (!q) vision.set(budget, ev)
        else if (plain) {
          summary.visionAccuracy = summariseBudget(plain, manifest.labels).point.accuracy
          if (q.truth) {
            summary.point.visionAnswerAccuracy = answerFromClass(plain, manifest.labels, q.truth)
            summary.point.visionPosteriorAnswerAccuracy = answerFromPosterior(plain, manifest.labels, q.truth)
          }
        }
        summaries.push(summary)
      }
      const { report, notes } = buildScalingReport({
        model: manifest.name,
        modelSha256: manifest.sha256,
        dataset: {
          path: opts.dataset.path,
          count: opts.items.length,
          ...(opts.dataset.description ? { description: opts.dataset.description } : {}),
        },
        question: q ? q.text : null,
        command: opts.command,
        points: summaries.map((s) => s.point),
        predictions: { labels: manifest.labels, budgets: evaluations },
        ...(opts.native ? { native: { ...opts.native, patchSize: manifest.patchSize } } : {}),
      })
      out.push({ question: q ? q.text : null, report, summaries, notes, evaluations })
    }
    return out
  } finally {
    await pool.close()
  }
}
