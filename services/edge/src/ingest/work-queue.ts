import { EdgeError } from '../errors.ts'

/**
 * Runs at most `concurrency` tasks at once and lets at most `maxWaiting` more wait; beyond that
 * `run` fails at once with EDGE_QUEUE_FULL (the HTTP API answers 429 + Retry-After), so memory
 * never holds an unbounded backlog of images.
 */
export class WorkQueue {
  private running = 0
  private readonly waiting: Array<() => void> = []
  private closed = false

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  /** Tasks waiting for a slot. */
  get depth(): number {
    return this.waiting.length
  }

  get active(): number {
    return this.running
  }

  /** True when a new task would be refused. */
  get full(): boolean {
    return this.running >= this.concurrency && this.waiting.length >= this.maxWaiting
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed)
      throw new EdgeError(
        'EDGE_CLOSING',
        'the edge node is shutting down; send the image to another node or retry',
      )
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) {
        throw new EdgeError(
          'EDGE_QUEUE_FULL',
          `expected room in the ingest queue but ${this.waiting.length} images are waiting (EDGE_QUEUE_MAX ${this.maxWaiting})`,
        )
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve))
    } else {
      this.running++
    }
    try {
      return await task()
    } finally {
      const next = this.waiting.shift()
      if (next) next()
      else this.running--
    }
  }

  /** Refuses new tasks; resolves when the running and waiting ones are done. */
  async close(): Promise<void> {
    this.closed = true
    while (this.running > 0) await new Promise((r) => setTimeout(r, 10))
  }
}
