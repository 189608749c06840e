import type { ScalingReportV1 } from '../contracts/scaling-report.v1.ts'
import { InferencePool, type InferencePoolOptions } from '../inference/inference.pool.ts'
import type { LoadedModel } from '../inference/model.loader.ts'
import type { DatasetItem } from '../vision/dataset/folder.ts'
import { tokenizeQuestion } from '../vision/question.ts'
import { evaluateBudget, type FusedQuestion } from './evaluate.ts'
import { answerTruth, questionTarget } from './question.ts'
import { type BudgetSummary, buildScalingReport, summariseBudget } from './report.ts'

export interface ScalingRunOptions {
  model: LoadedModel
  items: readonly DatasetItem[]
  dataset: { path: string; description?: string }
  budgets: readonly number[]
  /** Question text fused into every image (models with a question input only). */
  question?: string
  /** Also evaluate without the question, to measure what fusion adds. */
  compareQuestion?: boolean
  /** Recorded in the report as the command that produced it. */
  command: string
  /** Pool knobs; default one worker with two intra-op threads. */
  pool?: InferencePoolOptions
  /** Images per session.run. Default 32. */
  batchSize?: number
  onProgress?: (done: number, total: number) => void
}

/** One evaluation pass (all budgets) with or without the question. */
export interface ScalingPass {
  question: string | null
  report: ScalingReportV1
  summaries: BudgetSummary[]
  notes: string[]
}

/**
 * Evaluates a model at every budget on a labelled set through an InferencePool (the serving
 * path), once with the question when given and, with `compareQuestion`, once without; returns
 * one scaling report per pass, vision-only pass first.
 * @throws RangeError for a question on a model without a question input or compareQuestion
 *   without a question.
 */
export async function runScaling(opts: ScalingRunOptions): Promise<ScalingPass[]> {
  const manifest = opts.model.manifest
  for (const b of opts.budgets)
    if (!manifest.budgets.includes(b))
      throw new RangeError(
        `Expected --budgets within model ${manifest.name}'s budgets ${manifest.budgets.join(', ')} but received ${b}`,
      )
  if (opts.question !== undefined && !(manifest.io.question && manifest.question))
    throw new RangeError(
      `Expected a model with a question input for --question but ${manifest.name} (${manifest.role}) has none`,
    )
  if (opts.compareQuestion && opts.question === undefined)
    throw new RangeError('Expected --question "<text>" with --compare-question')
  let fused: FusedQuestion | undefined
  if (opts.question !== undefined && manifest.question) {
    const target = questionTarget(opts.question)
    const ok = manifest.labels.includes('ok') ? 'ok' : manifest.labels[0]!
    fused = {
      text: opts.question,
      ids: tokenizeQuestion(opts.question, manifest.question.vocab, manifest.question.maxLength),
      ...(target ? { truth: answerTruth(target, ok) } : {}),
    }
  }
  const passes: Array<FusedQuestion | undefined> = fused
    ? opts.compareQuestion
      ? [undefined, fused]
      : [fused]
    : [undefined]
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
    const out: ScalingPass[] = []
    for (const q of passes) {
      const summaries: BudgetSummary[] = []
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
        summaries.push(summariseBudget(ev, manifest.labels, fused?.truth))
      }
      const { report, notes } = buildScalingReport({
        model: manifest.name,
        modelSha256: manifest.sha256,
        dataset: { path: opts.dataset.path, count: opts.items.length, ...descriptionOf(opts.dataset) },
        question: q ? q.text : null,
        command: opts.command,
        points: summaries.map((s) => s.point),
      })
      out.push({ question: q ? q.text : null, report, summaries, notes })
    }
    return out
  } finally {
    await pool.close()
  }
}

function descriptionOf(d: { description?: string }): { description?: string } {
  return d.description ? { description: d.description } : {}
}
