import { readFile } from 'node:fs/promises'
import type { InferencePool, InferenceResult } from '../inference/inference.pool.ts'
import type { LoadedModel } from '../inference/model.loader.ts'
import type { DatasetItem } from '../vision/dataset/folder.ts'
import { specFromManifest } from '../vision/spec.ts'
import { normaliseTokens, tokenizeImageU8 } from '../vision/token-grid.ts'

/** A question fused into every image, with what it asks about when that is known. */
export interface FusedQuestion {
  text: string
  ids: BigInt64Array
  /** Yes/no truth per class name; absent when the question's subject is unknown. */
  truth?: (className: string) => boolean
}

export interface EvaluateOptions {
  pool: InferencePool
  model: LoadedModel
  items: readonly DatasetItem[]
  budget: number
  question?: FusedQuestion
  /** Images per pool request (one session.run). Default 32. */
  batchSize?: number
  /** Pool requests in flight while the next batch is decoded. Default 2. */
  inFlight?: number
  /** Called with the number of images finished so far. */
  onProgress?: (done: number) => void
}

/** Raw predictions of one model at one budget over a labelled set. */
export interface BudgetEvaluation {
  budget: number
  /** Label index per image (manifest order). */
  truth: Int32Array
  /** Label index of each image's second defect, −1 for none; absent when no image has one. */
  also?: Int32Array
  predicted: Int32Array
  /** Calibrated top-class probability per image. */
  confidence: Float64Array
  /** Calibrated class probabilities, row-major [image, label] (manifest label order). */
  probabilities: Float32Array
  /** Answer probability per image when the model answered a question. */
  answerProbability?: Float64Array
  /** Σ session.run wall time over all batches, ms. */
  runMs: number
  batches: number
  batchSize: number
}

/**
 * Runs every item through the same preprocessing as serving (lib/vision token grid from the
 * manifest) and the inference pool, in batches, and collects the predictions.
 * @throws VisionError for an unreadable image; InferenceError from the pool.
 */
export async function evaluateBudget(opts: EvaluateOptions): Promise<BudgetEvaluation> {
  const { pool, model, items, budget } = opts
  const manifest = model.manifest
  const spec = specFromManifest(manifest, budget)
  const batchSize = opts.batchSize ?? 32
  const labelIndex = new Map(manifest.labels.map((l, i) => [l, i]))
  const n = items.length
  const truth = new Int32Array(n)
  const alsoOf = (item: DatasetItem): number => {
    if (item.alsoClass === undefined) return -1
    const index = labelIndex.get(item.alsoClass)
    if (index === undefined)
      throw new RangeError(
        `Expected second defect ${item.alsoClass} of ${item.id} among model labels ${manifest.labels.join(', ')}`,
      )
    return index
  }
  const also = items.some((i) => i.alsoClass !== undefined) ? Int32Array.from(items, alsoOf) : undefined
  const predicted = new Int32Array(n)
  const confidence = new Float64Array(n)
  const k = manifest.labels.length
  const probabilities = new Float32Array(n * k)
  const answer = opts.question && manifest.io.answerLogit ? new Float64Array(n) : undefined
  const perImage = budget * manifest.patchSize * manifest.patchSize * manifest.channels
  let runMs = 0
  let batches = 0
  let done = 0
  const pending = new Set<Promise<void>>()

  const collect = (start: number, r: InferenceResult) => {
    runMs += r.runMs * (r.images.length / r.batchRows)
    batches++
    r.images.forEach((img, j) => {
      predicted[start + j] = img.labelIndex
      confidence[start + j] = img.confidence
      probabilities.set(img.probabilities.subarray(0, k), (start + j) * k)
      if (answer) answer[start + j] = img.answerProbability ?? Number.NaN
    })
    done += r.images.length
    opts.onProgress?.(done)
  }

  for (let start = 0; start < n; start += batchSize) {
    const chunk = items.slice(start, start + batchSize)
    const tokens = new Float32Array(chunk.length * perImage)
    await Promise.all(
      chunk.map(async (item, j) => {
        const index = labelIndex.get(item.className)
        if (index === undefined)
          throw new RangeError(
            `Expected class ${item.className} of ${item.id} among model labels ${manifest.labels.join(', ')}`,
          )
        truth[start + j] = index
        const grid = await tokenizeImageU8(await readFile(item.image), spec)
        normaliseTokens(grid.tokens, spec, tokens.subarray(j * perImage, (j + 1) * perImage))
      }),
    )
    const p = pool
      .infer({
        model: manifest.name,
        budget,
        tokens,
        transfer: true,
        ...(opts.question ? { question: opts.question.ids } : {}),
      })
      .then((r) => collect(start, r))
    p.catch(() => {})
    pending.add(p)
    void p.finally(() => pending.delete(p)).catch(() => {})
    if (pending.size >= (opts.inFlight ?? 2)) await Promise.race(pending)
  }
  await Promise.all(pending)
  return {
    budget,
    truth,
    ...(also ? { also } : {}),
    predicted,
    confidence,
    probabilities,
    ...(answer ? { answerProbability: answer } : {}),
    runMs,
    batches,
    batchSize,
  }
}
