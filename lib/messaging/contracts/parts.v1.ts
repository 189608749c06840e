/**
 * Building blocks shared by the version-1 payloads. Published with them: never edit a field
 * here; a breaking change means new `*.v2.ts` files with their own parts.
 */
import { z } from 'zod'

/** Inspection id: a UUID chosen by the edge at ingest; every store is idempotent on it. */
export const inspectionIdV1 = z.uuid({ error: 'expected a UUID' })

/** Plant and line ids: 1–128 printable characters without spaces. */
export const entityIdV1 = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/, { error: 'expected 1–128 printable ASCII characters without spaces' })

export const timestampV1 = z.iso.datetime({ offset: true, error: 'expected an ISO-8601 date-time' })

/** A token budget N = g² (number of p×p patches the model sees). */
export const budgetV1 = z
  .number()
  .int({ error: 'expected a positive integer token budget' })
  .positive({ error: 'expected a positive integer token budget' })
  .refine((n) => Number.isInteger(Math.sqrt(n)), { error: 'expected a perfect square (N = g²)' })

export const probabilityV1 = z.number().min(0).max(1)

/** Calibrated class probabilities by label; they sum to 1 (±1e-3). */
export const probabilitiesV1 = z
  .record(z.string().min(1), probabilityV1)
  .refine((p) => Object.keys(p).length >= 2, { error: 'expected at least two classes' })
  .refine((p) => Math.abs(Object.values(p).reduce((a, b) => a + b, 0) - 1) <= 1e-3, {
    error: 'expected probabilities summing to 1',
  })

/** Which model produced a result: the manifest's name and the ONNX file's sha256. */
export const modelRefV1 = z.object({
  name: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected 64 lower-case hex digits' }),
})

/**
 * One model's answer for one image at one budget. `patchScores` holds the per-patch defect score
 * in [0,1], one per token, row-major over the g×g grid.
 */
export const inferenceV1 = z
  .object({
    model: modelRefV1,
    budget: budgetV1,
    label: z.string().min(1),
    probabilities: probabilitiesV1,
    patchScores: z.array(probabilityV1),
    /** Inference wall time for this image (ms), preprocessing excluded. */
    latencyMs: z.number().nonnegative(),
  })
  .refine((r) => r.label in r.probabilities, {
    error: 'expected label to be one of the probability keys',
    path: ['label'],
  })
  .refine((r) => r.patchScores.length === 0 || r.patchScores.length === r.budget, {
    error: 'expected one patch score per token (length = budget) or none',
    path: ['patchScores'],
  })

/** Why the edge sent a case to the cloud (SPEC §2.4). */
export const escalationReasonsV1 = ['confidence', 'margin', 'entropy', 'always-escalate', 'audit'] as const
export const escalationReasonV1 = z.enum(escalationReasonsV1)
