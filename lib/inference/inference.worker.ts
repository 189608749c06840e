import { performance } from 'node:perf_hooks'
import { parentPort, workerData } from 'node:worker_threads'
import * as ort from 'onnxruntime-node'
import type { ProviderFallback } from './execution-providers.ts'
import type { FromWorker, IoNames, ToWorker, WorkerInit } from './internal/worker-protocol.ts'
import { sigmoidInto, softmaxRows } from './postprocess.ts'

// One InferenceSession per model in this thread; session.run blocks this thread, never the main one.
const init = workerData as WorkerInit
const port = parentPort!
const sessions = new Map<string, { session: ort.InferenceSession; io: IoNames }>()

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer)
}

async function load(modelId: string, path: string, io: IoNames): Promise<void> {
  const fallbacks: ProviderFallback[] = []
  for (const provider of init.executionProviders) {
    let session: ort.InferenceSession
    try {
      session = await ort.InferenceSession.create(path, {
        executionProviders: [provider],
        intraOpNumThreads: init.intraOpNumThreads,
        interOpNumThreads: init.interOpNumThreads,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        // Spinning threads would steal the cores sharp and the other workers need.
        extra: { session: { 'intra_op.allow_spinning': '0', 'inter_op.allow_spinning': '0' } },
      })
    } catch (err) {
      fallbacks.push({ provider, message: (err as Error).message })
      continue
    }
    const missing = [io.tokens, io.positions, io.question]
      .filter((n): n is string => n !== undefined)
      .filter((n) => !session.inputNames.includes(n))
      .concat(
        [io.logits, io.patchLogits, io.answerLogit]
          .filter((n): n is string => n !== undefined)
          .filter((n) => !session.outputNames.includes(n)),
      )
    if (missing.length > 0) {
      await session.release()
      send({
        type: 'load-failed',
        modelId,
        reason: 'io-mismatch',
        message: `expected the manifest's io names ${missing.join(', ')} in the ONNX graph, which has inputs ${session.inputNames.join(', ')} and outputs ${session.outputNames.join(', ')}`,
      })
      return
    }
    sessions.set(modelId, { session, io })
    send({ type: 'loaded', modelId, executionProvider: provider, fallbacks })
    return
  }
  send({
    type: 'load-failed',
    modelId,
    reason: 'session',
    message: `no execution provider could load it: ${fallbacks.map((f) => `${f.provider}: ${f.message}`).join('; ')}`,
  })
}

async function run(msg: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const entry = sessions.get(msg.modelId)
  if (!entry) {
    send({
      type: 'run-failed',
      jobId: msg.jobId,
      message: `model ${msg.modelId} is not loaded in this worker`,
    })
    return
  }
  const { session, io } = entry
  try {
    const feeds: Record<string, ort.Tensor> = {
      [io.tokens]: new ort.Tensor('float32', msg.tokens, [msg.rows, msg.tokensPerImage, msg.tokenWidth]),
      [io.positions]: new ort.Tensor('float32', msg.positions, [msg.tokensPerImage, 2]),
    }
    if (io.question && msg.question)
      feeds[io.question] = new ort.Tensor('int64', msg.question, [msg.rows, msg.questionLength])
    const fetches = [io.logits, io.patchLogits, io.answerLogit].filter((n): n is string => n !== undefined)
    const t0 = performance.now()
    const out = await session.run(feeds, fetches)
    const runMs = performance.now() - t0
    const logits = out[io.logits]!.data as Float32Array
    const classes = logits.length / msg.rows
    const probabilities = new Float32Array(logits.length)
    softmaxRows(logits, classes, msg.temperature, probabilities)
    let patchScores: Float32Array | null = null
    if (io.patchLogits) {
      const pl = out[io.patchLogits]!.data as Float32Array
      patchScores = new Float32Array(pl.length)
      sigmoidInto(pl, patchScores)
    }
    let answer: Float32Array | null = null
    if (io.answerLogit) {
      const al = out[io.answerLogit]!.data as Float32Array
      answer = new Float32Array(al.length)
      sigmoidInto(al, answer)
    }
    const transfer = [probabilities.buffer, patchScores?.buffer, answer?.buffer].filter(
      (b): b is ArrayBuffer => b !== undefined,
    )
    send({ type: 'result', jobId: msg.jobId, probabilities, classes, patchScores, answer, runMs }, transfer)
  } catch (err) {
    send({ type: 'run-failed', jobId: msg.jobId, message: (err as Error).message })
  }
}

async function close(): Promise<void> {
  for (const { session } of sessions.values()) await session.release()
  sessions.clear()
  send({ type: 'closed' })
  port.close()
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'load':
      void load(msg.modelId, msg.path, msg.io)
      break
    case 'run':
      void run(msg)
      break
    case 'close':
      void close()
      break
    default: {
      const never: never = msg
      throw new Error(`unknown message ${JSON.stringify(never)}`)
    }
  }
})
