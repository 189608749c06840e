/**
 * Scaling report, version 1: what `npm run eval` writes (JSON) and the gateway stores and plots.
 * One report = one model evaluated on one labelled set at several token budgets, with the
 * power law error(N) = c · N^(−α) fitted overall and per class (least squares in log-log space),
 * and, since the per-class error of an easy class sits on a floor of a few images where its α is
 * noise, per class also recall(N) = c · N^α (the token-scaling paper's performance form: α ≈ 0
 * is flat) and a bootstrap interval for every α. Those two are optional: reports written before
 * they existed stay valid.
 *
 * Native resolution (optional too, same rule): `dataset.nativeSize` is the source images' median
 * size; a point whose grid (√N · patch px) exceeds it is `upsampled` (lib/scaling/native-resolution.ts)
 * and `fits.budgets` lists the budgets the fits used: those at or below the native resolution
 * unless the report was asked to include every budget (`fits.includesUpsampled`).
 */
import { z } from 'zod'

export const powerLawFitV1 = z.object({
  c: z.number(),
  alpha: z.number(),
  /** Coefficient of determination of the log-log fit; null when fewer than 3 usable points. */
  r2: z.number().nullable(),
  /** 90 % paired bootstrap interval of alpha over the images (lib/scaling/bootstrap.ts). */
  alphaInterval: z.tuple([z.number(), z.number()]).optional(),
})

export const scalingPointV1 = z.object({
  budget: z.number().int().positive(),
  accuracy: z.number().min(0).max(1),
  error: z.number().min(0).max(1),
  /** Expected calibration error, 15 equal-width bins, after temperature scaling. */
  ece: z.number().min(0).max(1),
  latencyMsPerImage: z.number().nonnegative(),
  tokensPerImage: z.number().int().positive(),
  /** The grid exceeds the source images' resolution: these tokens only interpolate. */
  upsampled: z.boolean().optional(),
  perClass: z.record(
    z.string(),
    z.object({
      recall: z.number().min(0).max(1),
      error: z.number().min(0).max(1),
      count: z.number().int().nonnegative(),
    }),
  ),
  /** Cloud models with a question: accuracy of the yes/no answer. */
  answerAccuracy: z.number().min(0).max(1).optional(),
  /**
   * With a question and a vision-only pass over the same images: yes/no accuracy of the answer
   * read off the class predicted with no question — the baseline that fusion must beat.
   */
  visionAnswerAccuracy: z.number().min(0).max(1).optional(),
  /**
   * The same pass's calibrated posterior instead of its top class: yes iff the probabilities of the
   * classes that answer yes sum to > 0.5 — the strongest vision-only answer, the fair baseline.
   */
  visionPosteriorAnswerAccuracy: z.number().min(0).max(1).optional(),
})

export const scalingReportV1 = z.object({
  schema: z.literal('tokenline.scaling-report.v1'),
  model: z.string(),
  modelSha256: z.string(),
  dataset: z.object({
    path: z.string(),
    count: z.number().int().positive(),
    description: z.string().optional(),
    /** Median source image size in px (the information limit); absent when unknown. */
    nativeSize: z
      .object({ width: z.number().int().positive(), height: z.number().int().positive() })
      .optional(),
    /** Side of one patch in px, with which `upsampled` was decided. */
    patchSize: z.number().int().positive().optional(),
  }),
  /** The question fused in, or null for vision only. */
  question: z.string().nullable(),
  createdAt: z.string().datetime(),
  command: z.string(),
  points: z.array(scalingPointV1).min(1),
  fits: z.object({
    /** error(N) = c·N^(−α) on 1 − accuracy. */
    overall: powerLawFitV1,
    /** error(N) = c·N^(−α) on 1 − recall, by label. */
    perClass: z.record(z.string(), powerLawFitV1),
    /** recall(N) = c·N^α (α > 0 rises with tokens), by label. */
    perClassRecall: z.record(z.string(), powerLawFitV1).optional(),
    /** Budgets the fits used; absent: every point's. */
    budgets: z.array(z.number().int().positive()).optional(),
    /** True when upsampled budgets were fitted too (asked for); absent or false: they were left out. */
    includesUpsampled: z.boolean().optional(),
  }),
})

export type ScalingReportV1 = z.output<typeof scalingReportV1>
export type PowerLawFitV1 = z.output<typeof powerLawFitV1>
