/**
 * Calibration records, version 1: what `npm run eval -- --per-image <file>` writes, the per-image
 * outputs of one model on one labelled set at every evaluated budget, so a policy can be replayed
 * image by image (lib/policy/replay) instead of estimated from averages.
 *
 * One compact JSON object (no indentation):
 *   schema        "tokenline.calibration-records.v1"
 *   model, modelSha256, role   the manifest's name, ONNX sha256 and role
 *   labels        class names, manifest order; every index below refers to this list
 *   dataset       { path, description?, count }
 *   command       the command that wrote the file
 *   createdAt     ISO-8601 UTC
 *   scale         probabilities are stored as round(p · scale), integers; scale = 100000 (1e-5 steps)
 *   images        { ids: string[n] (dataset item ids, e.g. the generator's seed), truth: int[n] (label index) }
 *   passes        one per question (null = vision only), each
 *                 { question, budgets: [{ budget, latencyMsPerImage, probabilities: int[n · k] }] }
 *                 with `probabilities` row-major [image, label], calibrated (temperature of that budget).
 * Two files describe the same images when their `images.ids` are equal, in order.
 */
import { z } from 'zod'

export const calibrationRecordsSchemaV1 = 'tokenline.calibration-records.v1'

/** Probabilities are stored as integers in units of 1 / CALIBRATION_SCALE_V1. */
export const CALIBRATION_SCALE_V1 = 100_000

export const calibrationBudgetV1 = z.object({
  budget: z.number().int().positive(),
  /** Σ session.run wall time / images during the run that wrote the file, ms (orientation only). */
  latencyMsPerImage: z.number().nonnegative(),
  /** round(p · scale), row-major [image, label]. */
  probabilities: z.array(z.number().int().nonnegative()),
})

export const calibrationPassV1 = z.object({
  /** The question fused into every image, or null for vision only. */
  question: z.string().nullable(),
  budgets: z.array(calibrationBudgetV1).min(1),
})

export const calibrationRecordsV1 = z
  .object({
    schema: z.literal(calibrationRecordsSchemaV1),
    model: z.string().min(1),
    modelSha256: z.string(),
    role: z.enum(['edge', 'cloud']),
    labels: z.array(z.string().min(1)).min(2),
    dataset: z.object({
      path: z.string(),
      description: z.string().optional(),
      count: z.number().int().nonnegative(),
    }),
    command: z.string(),
    createdAt: z.string(),
    scale: z.number().int().positive(),
    images: z.object({ ids: z.array(z.string()), truth: z.array(z.number().int().nonnegative()) }),
    passes: z.array(calibrationPassV1).min(1),
  })
  .superRefine((r, ctx) => {
    const n = r.images.ids.length
    const k = r.labels.length
    if (r.images.truth.length !== n)
      ctx.addIssue({
        code: 'custom',
        path: ['images', 'truth'],
        message: `expected ${n} truths (one per id) but received ${r.images.truth.length}`,
      })
    if (r.images.truth.some((t) => t >= k))
      ctx.addIssue({
        code: 'custom',
        path: ['images', 'truth'],
        message: `expected label indices below ${k}`,
      })
    for (const [pi, p] of r.passes.entries())
      for (const [bi, b] of p.budgets.entries())
        if (b.probabilities.length !== n * k)
          ctx.addIssue({
            code: 'custom',
            path: ['passes', pi, 'budgets', bi, 'probabilities'],
            message: `expected ${n} images × ${k} labels = ${n * k} values but received ${b.probabilities.length}`,
          })
  })

export type CalibrationRecordsV1 = z.output<typeof calibrationRecordsV1>
