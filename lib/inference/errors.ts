import { TokenlineError } from '../errors/index.ts'

/**
 * Error codes of model loading and the inference pool.
 * Retriable: WORKER_CRASHED (the worker is replaced; send again), POOL_CLOSED (another instance
 * may serve), QUEUE_FULL (back off). The rest are wrong input or a wrong model and stay wrong.
 */
export const errorCodes = [
  'INFERENCE_MANIFEST_MISSING',
  'INFERENCE_MANIFEST_INVALID',
  'INFERENCE_MODEL_FILE_MISSING',
  'INFERENCE_MODEL_HASH_MISMATCH',
  'INFERENCE_MODEL_NOT_FOUND',
  'INFERENCE_MODEL_IO_MISMATCH',
  'INFERENCE_BUDGET_UNSUPPORTED',
  'INFERENCE_INPUT_INVALID',
  'INFERENCE_QUESTION_UNSUPPORTED',
  'INFERENCE_SESSION_FAILED',
  'INFERENCE_WORKER_CRASHED',
  'INFERENCE_POOL_CLOSED',
  'INFERENCE_QUEUE_FULL',
] as const

export type InferenceErrorCode = (typeof errorCodes)[number]

const retriableCodes: ReadonlySet<InferenceErrorCode> = new Set([
  'INFERENCE_WORKER_CRASHED',
  'INFERENCE_POOL_CLOSED',
  'INFERENCE_QUEUE_FULL',
])

/** A TokenlineError whose `retriable` flag follows from its code. */
export class InferenceError extends TokenlineError<InferenceErrorCode> {
  constructor(code: InferenceErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, retriableCodes.has(code), options)
    this.name = 'InferenceError'
  }
}
