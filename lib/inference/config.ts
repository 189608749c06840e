import { z } from 'zod'
import { positiveIntVar } from '../config/index.ts'
import { type ExecutionProvider, executionProviders } from './execution-providers.ts'

const isExecutionProvider = (p: string): p is ExecutionProvider =>
  (executionProviders as readonly string[]).includes(p)

import type { InferencePoolOptions } from './inference.pool.ts'

/**
 * A comma-separated list of onnxruntime execution providers, tried in that order
 * (e.g. `cuda,cpu`: the GPU where onnxruntime finds one, else the CPU with a logged warning).
 */
export function executionProvidersVar(defaultList: string) {
  const expected = `expected a comma-separated list of ${executionProviders.join(', ')} (e.g. cuda,cpu)`
  return z
    .string()
    .default(defaultList)
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(z.string())
        .min(1, { error: expected })
        .refine((list) => list.every(isExecutionProvider), { error: expected })
        .refine((list) => new Set(list).size === list.length, { error: `${expected}, each once` }),
    )
    .transform((list) => list.filter(isExecutionProvider))
}

/**
 * Environment variables of an inference pool, for services to spread into their config schema:
 *   INFERENCE_WORKERS            worker threads (default 1)
 *   INFERENCE_INTRA_OP_THREADS   onnxruntime intra-op threads per session (default 1)
 *   INFERENCE_MAX_BATCH          images per session.run (default 32)
 *   INFERENCE_MAX_DELAY_MS       wait for company before a batch runs, ms (default 2)
 *   INFERENCE_MAX_QUEUED_IMAGES  queue bound before INFERENCE_QUEUE_FULL (default 4096)
 *   INFERENCE_EXECUTION_PROVIDERS  onnxruntime execution providers to try in order (default cpu)
 */
export const inferencePoolEnvShape = {
  INFERENCE_WORKERS: positiveIntVar(1, 'a positive number of worker threads'),
  INFERENCE_INTRA_OP_THREADS: positiveIntVar(1, 'a positive number of threads'),
  INFERENCE_MAX_BATCH: positiveIntVar(32, 'a positive batch size in images'),
  INFERENCE_MAX_DELAY_MS: z.coerce
    .number({ error: 'expected a whole number of milliseconds >= 0' })
    .int({ error: 'expected a whole number of milliseconds >= 0' })
    .min(0, { error: 'expected a whole number of milliseconds >= 0' })
    .default(2),
  INFERENCE_MAX_QUEUED_IMAGES: positiveIntVar(4096, 'a positive number of images'),
  INFERENCE_EXECUTION_PROVIDERS: executionProvidersVar('cpu'),
}

export type InferencePoolEnv = z.output<z.ZodObject<typeof inferencePoolEnvShape>>

/** Pool options from parsed INFERENCE_* variables. */
export function poolOptionsFromEnv(env: InferencePoolEnv): InferencePoolOptions {
  return {
    workers: env.INFERENCE_WORKERS,
    intraOpNumThreads: env.INFERENCE_INTRA_OP_THREADS,
    maxBatch: env.INFERENCE_MAX_BATCH,
    maxDelayMs: env.INFERENCE_MAX_DELAY_MS,
    maxQueuedImages: env.INFERENCE_MAX_QUEUED_IMAGES,
    executionProviders: env.INFERENCE_EXECUTION_PROVIDERS,
  }
}
