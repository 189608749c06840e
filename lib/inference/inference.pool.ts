import { Worker } from 'node:worker_threads'
import type { Logger } from '../log/index.ts'
import { positionsFor } from '../vision/positions.ts'
import { workerLaunch } from '../worker/index.ts'
import { InferenceError } from './errors.ts'
import { defaultExecutionProviders, type ExecutionProvider } from './execution-providers.ts'
import type {
  ImageInference,
  InferencePoolOptions,
  InferencePoolStats,
  InferenceRequest,
  InferenceResult,
} from './inference.types.ts'
import type { FromWorker, ToWorker, WorkerInit } from './internal/worker-protocol.ts'
import { checkBudget, type LoadedModel, temperatureFor, tokenWidth } from './model.loader.ts'
import { summariseRow } from './postprocess.ts'

export type { ImageInference, InferencePoolOptions, InferencePoolStats, InferenceRequest, InferenceResult }

interface ModelEntry {
  loaded: LoadedModel
  width: number
  questionLength: number
}

interface Pending {
  req: InferenceRequest
  entry: ModelEntry
  rows: number
  resolve: (r: InferenceResult) => void
  reject: (e: Error) => void
}

interface Group {
  key: string
  entry: ModelEntry
  budget: number
  pending: Pending[]
  rows: number
  timer: NodeJS.Timeout | null
  due: boolean
}

interface Job {
  id: number
  group: Group
  requests: Pending[]
  rows: number
}

interface Slot {
  index: number
  worker: Worker
  ready: boolean
  jobs: Map<number, Job>
  closing: boolean
  exited: boolean
  /** Set by killWorker: late results from this thread are dropped, as a crash would lose them. */
  killed: boolean
}

/**
 * A pool of worker_threads running onnxruntime-node sessions. Requests for the same model and
 * budget that arrive within `maxDelayMs` are concatenated into one batch of up to `maxBatch`
 * images; results are split back per request. The event loop never runs a model.
 * A crashed worker fails its in-flight requests with the retriable INFERENCE_WORKER_CRASHED
 * and is replaced.
 */
export class InferencePool {
  private readonly models = new Map<string, ModelEntry>()
  private readonly groups = new Map<string, Group>()
  private readonly slots: Slot[] = []
  private readonly positions = new Map<number, Float32Array>()
  private readonly opts: Required<Omit<InferencePoolOptions, 'logger' | 'executionProviders'>>
  private readonly executionProviderOrder: ExecutionProvider[]
  private readonly runningProviders = new Map<string, ExecutionProvider>()
  private readonly logger: Logger | undefined
  private nextJobId = 1
  private queuedImages = 0
  private closed = false
  private drainWaiters: Array<() => void> = []
  private counters = { batches: 0, images: 0, workerRestarts: 0 }

  private constructor(models: LoadedModel[], options: InferencePoolOptions) {
    this.opts = {
      workers: options.workers ?? 1,
      intraOpNumThreads: options.intraOpNumThreads ?? 1,
      interOpNumThreads: options.interOpNumThreads ?? 1,
      maxBatch: options.maxBatch ?? 32,
      maxDelayMs: options.maxDelayMs ?? 2,
      maxQueuedImages: options.maxQueuedImages ?? 4096,
      pipelineDepth: options.pipelineDepth ?? 2,
    }
    this.logger = options.logger
    this.executionProviderOrder = [...(options.executionProviders ?? defaultExecutionProviders)]
    if (this.executionProviderOrder.length === 0)
      throw new InferenceError(
        'INFERENCE_INPUT_INVALID',
        'Expected executionProviders to name at least one provider but received an empty list',
      )
    for (const [name, value] of Object.entries(this.opts))
      if (!Number.isInteger(value) || value < (name === 'maxDelayMs' ? 0 : 1))
        throw new InferenceError(
          'INFERENCE_INPUT_INVALID',
          `Expected ${name} to be a ${name === 'maxDelayMs' ? 'non-negative' : 'positive'} integer but received ${value}`,
        )
    for (const loaded of models) {
      const m = loaded.manifest
      if (this.models.has(m.name))
        throw new InferenceError(
          'INFERENCE_INPUT_INVALID',
          `Expected unique model names but ${m.name} is given twice`,
        )
      this.models.set(m.name, {
        loaded,
        width: tokenWidth(m),
        questionLength: m.io.question && m.question ? m.question.maxLength : 0,
      })
    }
  }

  /**
   * Starts the workers and loads every model in each of them.
   * @throws InferenceError INFERENCE_SESSION_FAILED when a session cannot be created or the ONNX
   *   graph lacks the manifest's io names (INFERENCE_MODEL_IO_MISMATCH)
   */
  static async start(models: LoadedModel[], options: InferencePoolOptions = {}): Promise<InferencePool> {
    const pool = new InferencePool(models, options)
    try {
      await Promise.all(Array.from({ length: pool.opts.workers }, (_, i) => pool.spawn(i)))
    } catch (err) {
      await pool.close()
      throw err
    }
    return pool
  }

  /** Names of the models this pool serves. */
  modelNames(): string[] {
    return [...this.models.keys()]
  }

  stats(): InferencePoolStats {
    return {
      workers: this.slots.filter((s) => s.ready).length,
      busyWorkers: this.slots.filter((s) => s.jobs.size > 0).length,
      queuedImages: this.queuedImages,
      ...this.counters,
      executionProviders: Object.fromEntries(this.runningProviders),
    }
  }

  /**
   * Queues images for inference; resolves with one ImageInference per row.
   * @throws InferenceError INFERENCE_MODEL_NOT_FOUND | INFERENCE_BUDGET_UNSUPPORTED |
   *   INFERENCE_INPUT_INVALID | INFERENCE_QUESTION_UNSUPPORTED | INFERENCE_QUEUE_FULL (retriable) |
   *   INFERENCE_POOL_CLOSED (retriable) | INFERENCE_WORKER_CRASHED (retriable) | INFERENCE_SESSION_FAILED
   */
  infer(req: InferenceRequest): Promise<InferenceResult> {
    try {
      const { entry, rows } = this.validate(req)
      return new Promise<InferenceResult>((resolve, reject) => {
        this.enqueue({ req, entry, rows, resolve, reject })
      })
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Terminates worker `index` abruptly, as a crash would: its in-flight requests fail with
   * INFERENCE_WORKER_CRASHED and a new worker takes its place. For fault drills and tests.
   */
  async killWorker(index: number): Promise<void> {
    const slot = this.slots[index]
    if (!slot)
      throw new InferenceError(
        'INFERENCE_INPUT_INVALID',
        `Expected a worker index below ${this.slots.length} but received ${index}`,
      )
    slot.killed = true
    await slot.worker.terminate()
  }

  /**
   * Stops taking requests, finishes everything queued and in flight, then releases the sessions
   * and ends the workers. Idempotent.
   */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true
      for (const g of this.groups.values()) this.markDue(g)
      this.dispatch()
    }
    if (this.queuedImages > 0 || this.slots.some((s) => s.jobs.size > 0))
      await new Promise<void>((resolve) => {
        this.drainWaiters.push(resolve)
      })
    await Promise.all(this.slots.map((s) => this.endSlot(s)))
  }

  private validate(req: InferenceRequest): { entry: ModelEntry; rows: number } {
    if (this.closed)
      throw new InferenceError('INFERENCE_POOL_CLOSED', 'Expected an open inference pool but it is closing')
    const entry = this.models.get(req.model)
    if (!entry)
      throw new InferenceError(
        'INFERENCE_MODEL_NOT_FOUND',
        `Expected model to be one of ${this.modelNames().join(', ')} but received ${JSON.stringify(req.model)}`,
      )
    checkBudget(entry.loaded.manifest, req.budget)
    if (!(req.tokens instanceof Float32Array))
      throw new InferenceError('INFERENCE_INPUT_INVALID', 'Expected tokens to be a Float32Array')
    const perImage = req.budget * entry.width
    const rows = req.tokens.length / perImage
    if (!Number.isInteger(rows) || rows < 1)
      throw new InferenceError(
        'INFERENCE_INPUT_INVALID',
        `Expected tokens of length rows × ${req.budget} × ${entry.width} (budget × patch² × channels) but received ${req.tokens.length} floats`,
      )
    if (req.question !== undefined) {
      if (entry.questionLength === 0)
        throw new InferenceError(
          'INFERENCE_QUESTION_UNSUPPORTED',
          `Expected no question for model ${req.model}, which has no question input`,
        )
      const q = entry.questionLength
      if (
        !(req.question instanceof BigInt64Array) ||
        (req.question.length !== q && req.question.length !== rows * q)
      )
        throw new InferenceError(
          'INFERENCE_INPUT_INVALID',
          `Expected question to be a BigInt64Array of ${q} or ${rows * q} word ids but received ${req.question instanceof BigInt64Array ? `${req.question.length} ids` : typeof req.question}`,
        )
    }
    if (this.queuedImages + rows > this.opts.maxQueuedImages)
      throw new InferenceError(
        'INFERENCE_QUEUE_FULL',
        `Expected at most ${this.opts.maxQueuedImages} queued images but ${this.queuedImages} are waiting`,
      )
    return { entry, rows }
  }

  private enqueue(p: Pending): void {
    const key = `${p.req.model}\u0000${p.req.budget}`
    let g = this.groups.get(key)
    if (!g) {
      g = { key, entry: p.entry, budget: p.req.budget, pending: [], rows: 0, timer: null, due: false }
      this.groups.set(key, g)
    }
    g.pending.push(p)
    g.rows += p.rows
    this.queuedImages += p.rows
    if (g.rows >= this.opts.maxBatch || this.opts.maxDelayMs === 0) this.markDue(g)
    else if (!g.timer && !g.due) {
      const group = g
      g.timer = setTimeout(() => {
        group.timer = null
        this.markDue(group)
        this.dispatch()
      }, this.opts.maxDelayMs)
    }
    this.dispatch()
  }

  private markDue(g: Group): void {
    if (g.timer) clearTimeout(g.timer)
    g.timer = null
    if (g.pending.length > 0) g.due = true
  }

  /** The least busy worker that may take another batch: a full batch may queue behind a running one. */
  private freeSlot(full: boolean): Slot | undefined {
    const limit = full ? this.opts.pipelineDepth : 1
    let best: Slot | undefined
    for (const s of this.slots)
      if (s.ready && !s.closing && s.jobs.size < limit && (!best || s.jobs.size < best.jobs.size)) best = s
    return best
  }

  // A partial batch waits for an idle worker and keeps gathering requests meanwhile, so batches
  // grow with load; a full one is queued on a busy worker to hide the message round trip.
  private dispatch(): void {
    for (const g of [...this.groups.values()]) {
      while (g.due && g.pending.length > 0) {
        const slot = this.freeSlot(g.rows >= this.opts.maxBatch || this.closed)
        if (!slot) break
        this.sendJob(slot, g)
      }
    }
    this.checkDrained()
  }

  private sendJob(slot: Slot, g: Group): void {
    const requests: Pending[] = []
    let rows = 0
    while (g.pending.length > 0) {
      const next = g.pending[0]!
      if (requests.length > 0 && rows + next.rows > this.opts.maxBatch) break
      g.pending.shift()
      requests.push(next)
      rows += next.rows
    }
    g.rows -= rows
    this.queuedImages -= rows
    if (g.pending.length === 0) this.groups.delete(g.key)
    const job: Job = { id: this.nextJobId++, group: g, requests, rows }
    const { entry, budget } = g
    const n = budget
    const width = entry.width
    const first = requests[0]!
    let tokens: Float32Array
    const transfer: ArrayBuffer[] = []
    if (
      requests.length === 1 &&
      first.req.transfer &&
      first.req.tokens.byteOffset === 0 &&
      first.req.tokens.buffer instanceof ArrayBuffer &&
      first.req.tokens.buffer.byteLength === first.req.tokens.byteLength
    ) {
      tokens = first.req.tokens
    } else {
      tokens = new Float32Array(rows * n * width)
      let offset = 0
      for (const p of requests) {
        tokens.set(p.req.tokens, offset)
        offset += p.req.tokens.length
      }
    }
    transfer.push(tokens.buffer as ArrayBuffer)
    let question: BigInt64Array | null = null
    const q = entry.questionLength
    if (q > 0) {
      question = new BigInt64Array(rows * q)
      let row = 0
      for (const p of requests) {
        const ids = p.req.question
        if (ids && ids.length === q) for (let r = 0; r < p.rows; r++) question.set(ids, (row + r) * q)
        else if (ids) question.set(ids, row * q)
        row += p.rows
      }
      transfer.push(question.buffer as ArrayBuffer)
    }
    let positions = this.positions.get(n)
    if (!positions) {
      positions = positionsFor(n)
      this.positions.set(n, positions)
    }
    const manifest = entry.loaded.manifest
    slot.jobs.set(job.id, job)
    const msg: ToWorker = {
      type: 'run',
      jobId: job.id,
      modelId: manifest.name,
      rows,
      tokensPerImage: n,
      tokenWidth: width,
      tokens,
      positions,
      question,
      questionLength: q,
      temperature: temperatureFor(manifest, budget),
    }
    slot.worker.postMessage(msg, transfer)
  }

  private onResult(slot: Slot, msg: Extract<FromWorker, { type: 'result' }>): void {
    const job = slot.jobs.get(msg.jobId)
    if (!job) return
    slot.jobs.delete(msg.jobId)
    this.counters.batches++
    this.counters.images += job.rows
    const manifest = job.group.entry.loaded.manifest
    const k = msg.classes
    const n = job.group.budget
    const temperature = temperatureFor(manifest, job.group.budget)
    let row = 0
    for (const p of job.requests) {
      const images: ImageInference[] = []
      for (let r = 0; r < p.rows; r++, row++) {
        const s = summariseRow(msg.probabilities, row * k, k)
        const image: ImageInference = {
          labelIndex: s.top,
          label: manifest.labels[s.top] ?? String(s.top),
          confidence: s.confidence,
          margin: s.margin,
          entropy: s.entropy,
          probabilities: msg.probabilities.subarray(row * k, (row + 1) * k),
        }
        if (msg.patchScores) image.patchScores = msg.patchScores.subarray(row * n, (row + 1) * n)
        if (msg.answer) image.answerProbability = msg.answer[row]!
        images.push(image)
      }
      p.resolve({
        model: manifest.name,
        budget: job.group.budget,
        temperature,
        images,
        batchRows: job.rows,
        runMs: msg.runMs,
      })
    }
    this.dispatch()
  }

  private onRunFailed(slot: Slot, jobId: number, message: string): void {
    const job = slot.jobs.get(jobId)
    if (!job) return
    slot.jobs.delete(jobId)
    const err = new InferenceError(
      'INFERENCE_SESSION_FAILED',
      `Expected model ${job.group.entry.loaded.manifest.name} to run at budget ${job.group.budget} but onnxruntime failed: ${message}`,
    )
    for (const p of job.requests) p.reject(err)
    this.dispatch()
  }

  private spawn(index: number): Promise<void> {
    const init: WorkerInit = {
      intraOpNumThreads: this.opts.intraOpNumThreads,
      interOpNumThreads: this.opts.interOpNumThreads,
      executionProviders: this.executionProviderOrder,
    }
    const { url, entry } = workerLaunch(new URL('./inference.worker.ts', import.meta.url))
    const worker = new Worker(url, { workerData: { ...init, entry } })
    const slot: Slot = {
      index,
      worker,
      ready: false,
      jobs: new Map(),
      closing: false,
      exited: false,
      killed: false,
    }
    this.slots[index] = slot
    const toLoad = new Set(this.models.keys())
    return new Promise<void>((resolve, reject) => {
      let settled = false
      const fail = (err: Error) => {
        if (settled) return
        settled = true
        reject(err)
      }
      worker.on('message', (msg: FromWorker) => {
        if (slot.killed) return
        switch (msg.type) {
          case 'loaded':
            this.runningProviders.set(msg.modelId, msg.executionProvider)
            for (const f of msg.fallbacks)
              this.logger?.warn(
                { worker: index, model: msg.modelId, provider: f.provider, err: f.message },
                `execution provider ${f.provider} could not load model ${msg.modelId}; falling back to ${msg.executionProvider}`,
              )
            toLoad.delete(msg.modelId)
            if (toLoad.size === 0 && !settled) {
              settled = true
              slot.ready = true
              resolve()
              this.dispatch()
            }
            break
          case 'load-failed':
            fail(
              new InferenceError(
                msg.reason === 'io-mismatch' ? 'INFERENCE_MODEL_IO_MISMATCH' : 'INFERENCE_SESSION_FAILED',
                `Expected onnxruntime to load model ${msg.modelId}: ${msg.message}`,
              ),
            )
            void worker.terminate()
            break
          case 'result':
            this.onResult(slot, msg)
            break
          case 'run-failed':
            this.onRunFailed(slot, msg.jobId, msg.message)
            break
          case 'closed':
            break
          default: {
            const never: never = msg
            throw new Error(`unknown worker message ${JSON.stringify(never)}`)
          }
        }
      })
      worker.on('error', (err) => {
        this.logger?.error({ err, worker: index }, 'inference worker error')
        fail(err)
      })
      worker.on('exit', (code) => {
        const wasReady = slot.ready
        slot.ready = false
        slot.exited = true
        fail(
          new InferenceError(
            'INFERENCE_WORKER_CRASHED',
            `Expected inference worker ${index} to start but it exited with code ${code}`,
          ),
        )
        if (!slot.closing && wasReady) this.onCrash(slot, code)
      })
      for (const [modelId, entry] of this.models) {
        const m = entry.loaded.manifest
        const msg: ToWorker = {
          type: 'load',
          modelId,
          path: entry.loaded.onnxPath,
          io: {
            tokens: m.io.tokens,
            positions: m.io.positions,
            question: m.io.question,
            logits: m.io.logits,
            patchLogits: m.io.patchLogits,
            answerLogit: m.io.answerLogit,
          },
        }
        worker.postMessage(msg)
      }
    })
  }

  private onCrash(slot: Slot, code: number): void {
    const err = new InferenceError(
      'INFERENCE_WORKER_CRASHED',
      `Expected inference worker ${slot.index} to finish its batch but it exited with code ${code}; send the request again`,
    )
    for (const job of slot.jobs.values()) for (const p of job.requests) p.reject(err)
    slot.jobs.clear()
    if (this.slots[slot.index] !== slot) return
    this.counters.workerRestarts++
    this.logger?.warn({ worker: slot.index, code }, 'inference worker exited; replacing it')
    if (this.closed) {
      if (!this.slots.some((s) => s.ready)) this.failQueued(err)
      this.checkDrained()
      return
    }
    this.spawn(slot.index).catch((e: Error) => {
      this.logger?.error({ err: e, worker: slot.index }, 'replacement inference worker failed to start')
      if (!this.slots.some((s) => s.ready)) this.failQueued(e)
    })
    this.checkDrained()
  }

  private failQueued(cause: Error): void {
    for (const g of this.groups.values()) {
      if (g.timer) clearTimeout(g.timer)
      for (const p of g.pending)
        p.reject(
          new InferenceError(
            'INFERENCE_WORKER_CRASHED',
            `Expected a running inference worker: ${cause.message}`,
            {
              cause,
            },
          ),
        )
    }
    this.groups.clear()
    this.queuedImages = 0
    this.checkDrained()
  }

  private checkDrained(): void {
    if (this.drainWaiters.length === 0) return
    if (this.queuedImages > 0 || this.slots.some((s) => s.jobs.size > 0)) return
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const w of waiters) w()
  }

  private endSlot(slot: Slot): Promise<void> {
    if (slot.closing || slot.exited) return Promise.resolve()
    slot.closing = true
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => void slot.worker.terminate(), 5_000)
      slot.worker.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
      const msg: ToWorker = { type: 'close' }
      slot.worker.postMessage(msg)
    })
  }
}
