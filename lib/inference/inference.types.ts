/**
 * The public shapes of InferencePool: its options, a request, the per-image answer and the
 * pool's counters. Kept apart from the pool's scheduling code so callers can read the contract
 * without the worker bookkeeping.
 */
import type { Logger } from '../log/index.ts'
import type { ExecutionProvider } from './execution-providers.ts'

/** Knobs of an InferencePool; all counts are per pool. */
export interface InferencePoolOptions {
  /** Worker threads, one InferenceSession per model in each. Default 1. */
  workers?: number
  /** onnxruntime intra-op threads per session. Default 1. */
  intraOpNumThreads?: number
  /** onnxruntime inter-op threads per session. Default 1. */
  interOpNumThreads?: number
  /** Most images (rows) concatenated into one session.run. Default 32. */
  maxBatch?: number
  /** How long the first request of a batch waits for company, in ms. Default 2. */
  maxDelayMs?: number
  /** Images waiting in the queue before infer() fails with INFERENCE_QUEUE_FULL. Default 4096. */
  maxQueuedImages?: number
  /**
   * Full batches handed to one worker before the previous one returns (hides the message round
   * trip); a partial batch only goes to an idle worker. Default 2.
   */
  pipelineDepth?: number
  /**
   * onnxruntime execution providers tried in order for every model in every worker; the first
   * that creates a session runs it, and each one skipped is logged as a warning. Default ['cpu'].
   */
  executionProviders?: readonly ExecutionProvider[]
  logger?: Logger
}

/** One or more images of one model at one budget. */
export interface InferenceRequest {
  /** The manifest name of a model given to InferencePool.start. */
  model: string
  /** Token budget N; must be one of the manifest's budgets. */
  budget: number
  /** float32 [rows, N, P·P·C], laid out as lib/vision writes it. */
  tokens: Float32Array
  /** int64 word ids for question-fused models: [Q] for every row or [rows, Q]; none = all padding. */
  question?: BigInt64Array
  /** Hand the tokens' buffer to the worker without copying; the caller's array is detached. */
  transfer?: boolean
}

/** The verdict for one image. */
export interface ImageInference {
  labelIndex: number
  label: string
  /** Calibrated probability of `label`. */
  confidence: number
  /** p(top) − p(runner-up). */
  margin: number
  /** Entropy of the calibrated probabilities, nats. */
  entropy: number
  /** softmax(logits / T[N]), length K, in manifest label order. */
  probabilities: Float32Array
  /** sigmoid(patch logit) per token, length N, row-major grid; absent when the model has none. */
  patchScores?: Float32Array
  /** sigmoid(answer logit): probability the answer to the question is yes (cloud models). */
  answerProbability?: number
}

export interface InferenceResult {
  model: string
  budget: number
  temperature: number
  images: ImageInference[]
  /** Images in the session.run this request shared. */
  batchRows: number
  /** Wall time of that session.run, ms. */
  runMs: number
}

export interface InferencePoolStats {
  workers: number
  busyWorkers: number
  queuedImages: number
  batches: number
  images: number
  workerRestarts: number
  /** Execution provider running each model, by model name (from the last worker that loaded it). */
  executionProviders: Record<string, ExecutionProvider>
}
