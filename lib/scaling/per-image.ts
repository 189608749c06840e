import {
  CALIBRATION_SCALE_V1,
  type CalibrationRecordsV1,
  calibrationRecordsSchemaV1,
} from '../contracts/calibration-records.v1.ts'
import type { ModelManifestV1 } from '../contracts/model-manifest.v1.ts'
import type { ScalingPass } from './scaling-run.ts'

export type PerImageInput = {
  manifest: Pick<ModelManifestV1, 'name' | 'sha256' | 'role' | 'labels'>
  /** Item ids in the order the passes evaluated them. */
  ids: readonly string[]
  passes: readonly ScalingPass[]
  dataset: { path: string; description?: string }
  command: string
  createdAt?: Date
}

/**
 * The per-image calibration records of one eval run (format: lib/contracts/calibration-records.v1.ts):
 * every image's true label and calibrated probabilities at every budget of every pass.
 * @throws RangeError when a pass did not see `ids.length` images, or the passes disagree on the truths.
 */
export function buildCalibrationRecords(input: PerImageInput): CalibrationRecordsV1 {
  const n = input.ids.length
  const k = input.manifest.labels.length
  const first = input.passes[0]?.evaluations[0]
  if (first === undefined)
    throw new RangeError('Expected at least one evaluated pass and budget but received none')
  for (const pass of input.passes)
    for (const ev of pass.evaluations) {
      if (ev.truth.length !== n || ev.probabilities.length !== n * k)
        throw new RangeError(
          `Expected ${n} images × ${k} labels at budget ${ev.budget} but received ${ev.truth.length} images and ${ev.probabilities.length} values`,
        )
      for (let i = 0; i < n; i++)
        if (ev.truth[i] !== first.truth[i])
          throw new RangeError(`Expected the same images in every pass but image ${input.ids[i]} differs`)
    }
  return {
    schema: calibrationRecordsSchemaV1,
    model: input.manifest.name,
    modelSha256: input.manifest.sha256,
    role: input.manifest.role,
    labels: [...input.manifest.labels],
    dataset: { ...input.dataset, count: n },
    command: input.command,
    createdAt: (input.createdAt ?? new Date()).toISOString(),
    scale: CALIBRATION_SCALE_V1,
    images: { ids: [...input.ids], truth: Array.from(first.truth) },
    passes: input.passes.map((pass) => ({
      question: pass.question,
      budgets: pass.evaluations.map((ev) => ({
        budget: ev.budget,
        latencyMsPerImage: Math.round((n > 0 ? ev.runMs / n : 0) * 1e4) / 1e4,
        probabilities: Array.from(ev.probabilities, (p) => Math.round(p * CALIBRATION_SCALE_V1)),
      })),
    })),
  }
}
