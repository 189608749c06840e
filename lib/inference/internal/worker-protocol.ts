/**
 * Messages between InferencePool (main thread) and inference.worker.ts.
 * Tensors travel as transferred ArrayBuffers (no copy):
 *   run.tokens    float32 [rows, N, D]      run.positions float32 [N, 2]
 *   run.question  int64   [rows, Q] | null
 *   result.probabilities float32 [rows, K] (softmax(logits / temperature))
 *   result.patchScores   float32 [rows, N] | null (sigmoid)
 *   result.answer        float32 [rows]    | null (sigmoid)
 */
import type { ExecutionProvider, ProviderFallback } from '../execution-providers.ts'

export interface WorkerInit {
  intraOpNumThreads: number
  interOpNumThreads: number
  /** Tried in order for every model; the first that creates a session runs it. */
  executionProviders: ExecutionProvider[]
}

export interface IoNames {
  tokens: string
  positions: string
  question?: string | undefined
  logits: string
  patchLogits?: string | undefined
  answerLogit?: string | undefined
}

export type ToWorker =
  | { type: 'load'; modelId: string; path: string; io: IoNames }
  | {
      type: 'run'
      jobId: number
      modelId: string
      rows: number
      tokensPerImage: number
      tokenWidth: number
      tokens: Float32Array
      positions: Float32Array
      question: BigInt64Array | null
      questionLength: number
      temperature: number
    }
  | { type: 'close' }

export type FromWorker =
  | {
      type: 'loaded'
      modelId: string
      /** The provider whose session loaded the model. */
      executionProvider: ExecutionProvider
      /** Providers tried before it, with onnxruntime's reason. */
      fallbacks: ProviderFallback[]
    }
  | { type: 'load-failed'; modelId: string; reason: 'io-mismatch' | 'session'; message: string }
  | {
      type: 'result'
      jobId: number
      probabilities: Float32Array
      classes: number
      patchScores: Float32Array | null
      answer: Float32Array | null
      runMs: number
    }
  | { type: 'run-failed'; jobId: number; message: string }
  | { type: 'closed' }
