/**
 * Model manifest, version 1: `models/<name>/manifest.json` beside `model.onnx`.
 * Written by `training/` (Python) and by `npm run eval -- --write-manifest`; read by the inference pool.
 * Any ONNX model with a valid manifest can be served: nothing is hard-wired to ours.
 *
 * ONNX I/O contract (names are overridable through `io`):
 *   inputs  tokens    float32 [B, N, P*P*C]  normalised patches, row-major grid, see lib/vision
 *           positions float32 [N, 2]         patch centre (row, col) in (0,1): ((r+0.5)/g, (c+0.5)/g)
 *           question  int64   [B, Q]         cloud models only: word ids, 0 = padding
 *   outputs logits        float32 [B, K]     class logits (divide by temperature[N] before softmax)
 *           patch_logits  float32 [B, N]     per-patch defect logit (sigmoid → score)
 *           answer_logit  float32 [B, 1]     cloud models only: yes/no answer to the question
 */
import { z } from 'zod'

export const modelRoles = ['edge', 'cloud'] as const

const budgetKey = z.string().regex(/^\d+$/, { error: 'expected a token budget such as "64"' })

export const budgetMetricsV1 = z.object({
  accuracy: z.number().min(0).max(1),
  perClassRecall: z.record(z.string(), z.number().min(0).max(1)),
  ece: z.number().min(0).max(1).optional(),
  /** Mean wall time per image (ms) at `batchSize`, inference only. */
  latencyMsPerImage: z.number().nonnegative().optional(),
  batchSize: z.number().int().positive().optional(),
  samples: z.number().int().positive(),
})

export const modelManifestV1 = z.object({
  schema: z.literal('tokenline.model-manifest.v1'),
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, { error: 'expected a lower-case name: letters, digits, . _ -' }),
  role: z.enum(modelRoles),
  /** ONNX file relative to the manifest. */
  file: z.string().default('model.onnx'),
  /** Hex sha256 of the ONNX file; the pool refuses a mismatch. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected 64 lower-case hex digits' }),
  labels: z.array(z.string().min(1)).min(2),
  /** Side of one square patch in pixels. */
  patchSize: z.number().int().positive(),
  /** 1 = grayscale ('b-w'), 3 = RGB ('srgb'). */
  channels: z.union([z.literal(1), z.literal(3)]),
  colorSpace: z.enum(['b-w', 'srgb']),
  /** float = (u8 / 255 − mean[c]) / std[c] */
  normalisation: z.object({ mean: z.array(z.number()).min(1), std: z.array(z.number().positive()).min(1) }),
  /** Supported token counts N = g²; each must be a perfect square. */
  budgets: z
    .array(z.number().int().positive())
    .min(1)
    .refine((b) => b.every((n) => Number.isInteger(Math.sqrt(n))), {
      error: 'every budget must be a perfect square',
    }),
  io: z
    .object({
      tokens: z.string().default('tokens'),
      positions: z.string().default('positions'),
      question: z.string().optional(),
      logits: z.string().default('logits'),
      patchLogits: z.string().optional(),
      answerLogit: z.string().optional(),
    })
    .default({ tokens: 'tokens', positions: 'positions', logits: 'logits' }),
  question: z
    .object({
      /** Index = word id; 0 is padding, 1 is unknown. */
      vocab: z.array(z.string()),
      maxLength: z.number().int().positive(),
    })
    .optional(),
  /**
   * Median size (px) of the images the model was trained on: budgets whose grid exceeds it are
   * upsampled (lib/scaling/native-resolution.ts). Absent in manifests written before it existed.
   */
  nativeSize: z
    .object({ width: z.number().int().positive(), height: z.number().int().positive() })
    .optional(),
  /** Calibration temperature per budget (key = N); 1 when absent. */
  temperatures: z.record(budgetKey, z.number().positive()).default({}),
  training: z
    .object({
      command: z.string(),
      dataSeeds: z.record(z.string(), z.tuple([z.number().int(), z.number().int()])).optional(),
      parameters: z.number().int().nonnegative().optional(),
      seconds: z.number().nonnegative().optional(),
    })
    .passthrough()
    .optional(),
  /** Measured on a held-out split, per budget (key = N). */
  metrics: z.record(budgetKey, budgetMetricsV1).default({}),
  /** The command that produced `metrics`. */
  measuredWith: z.string().optional(),
})

export type ModelManifestV1 = z.output<typeof modelManifestV1>
