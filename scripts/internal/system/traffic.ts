/**
 * A steady stream of inspections into the edge's HTTP ingest: one POST every 1/rate seconds
 * whatever the answers (open loop, as a camera would), generated 256×256 surface images cycled
 * from a pre-made pool. Each attempt is recorded with the phase it was sent in and what came back.
 */
import { encodeGreyPng } from '../../../lib/vision/dataset/png-grey.ts'
import { generateSample } from '../../../lib/vision/index.ts'

/**
 * What one POST got: `accepted` (2xx, with an inspection id), `refused` (an error code),
 * `timeout` (no answer within the timeout: an overloaded edge, which may still decide it),
 * `unreachable` (connection refused or reset: the edge process is down or was killed mid-request).
 */
export type Attempt = {
  seq: number
  phase: string
  /** ms since the stream started. */
  sentAt: number
  answeredAt?: number
  outcome?: 'accepted' | 'refused' | 'timeout' | 'unreachable'
  httpStatus?: number
  /** Error code of a refusal, or the network error's name. */
  code?: string
  inspectionId?: string
  /** The edge's status in its answer: accepted (edge final) | pending (escalated) | held | … */
  edgeStatus?: string
}

export type TrafficOptions = {
  edgeUrl: string
  lineId: string
  /** Inspections per second. */
  rate: number
  /** Seeds of the image pool (held-out range, far from training seeds). */
  firstSeed?: number
  poolSize?: number
  /** Per-request timeout (ms); default 30000, as the gateway's GATEWAY_EDGE_TIMEOUT_MS. */
  timeoutMs?: number
  onAccepted?: (attempt: Attempt) => void
}

export class Traffic {
  readonly attempts: Attempt[] = []
  phase = 'warm-up'
  private readonly pool: Buffer[]
  private timer: NodeJS.Timeout | undefined
  private readonly inFlight = new Set<Promise<void>>()
  private readonly started = performance.now()
  private seq = 0

  constructor(private readonly options: TrafficOptions) {
    const first = options.firstSeed ?? 9_500_000
    this.pool = Array.from({ length: options.poolSize ?? 48 }, (_, i) =>
      encodeGreyPng(256, 256, generateSample(first + i, 256).pixels),
    )
  }

  /** ms since the stream was made, the clock every `Attempt` time uses. */
  now(): number {
    return performance.now() - this.started
  }

  start(): void {
    const interval = 1000 / this.options.rate
    let next = performance.now()
    const tick = () => {
      this.send()
      next += interval
      // Catch up after a stall rather than drift: the rate is the point of a steady stream.
      this.timer = setTimeout(tick, Math.max(0, next - performance.now()))
    }
    tick()
  }

  /** Stops sending and waits for every request in flight to be answered or time out. */
  async stop(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    await Promise.all(this.inFlight)
  }

  private send(): void {
    const attempt: Attempt = { seq: this.seq++, phase: this.phase, sentAt: this.now() }
    this.attempts.push(attempt)
    const image = this.pool[attempt.seq % this.pool.length]!
    const done = this.post(attempt, image).finally(() => this.inFlight.delete(done))
    this.inFlight.add(done)
  }

  private async post(attempt: Attempt, image: Buffer): Promise<void> {
    try {
      const res = await fetch(
        `${this.options.edgeUrl}/v1/inspections?line=${encodeURIComponent(this.options.lineId)}`,
        {
          method: 'POST',
          headers: { 'content-type': 'image/png' },
          body: image,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
        },
      )
      const body = (await res.json()) as {
        inspectionId?: string
        status?: string
        error?: { code: string }
      }
      attempt.answeredAt = this.now()
      attempt.httpStatus = res.status
      if (res.status >= 200 && res.status < 300 && body.inspectionId) {
        attempt.outcome = 'accepted'
        attempt.inspectionId = body.inspectionId
        attempt.edgeStatus = body.status
        this.options.onAccepted?.(attempt)
      } else {
        attempt.outcome = 'refused'
        attempt.code = body.error?.code ?? `HTTP_${res.status}`
      }
    } catch (err) {
      attempt.answeredAt = this.now()
      const cause = (err as Error & { cause?: { code?: string } }).cause
      attempt.code = cause?.code ?? (err as Error).name
      attempt.outcome = (err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable'
    }
  }
}
