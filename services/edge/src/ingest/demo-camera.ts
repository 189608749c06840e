import type { Logger } from '../../../../lib/log/index.ts'
import { encodeGreyPng } from '../../../../lib/vision/dataset/png-grey.ts'
import { generateSample } from '../../../../lib/vision/index.ts'
import { EdgeError } from '../errors.ts'
import type { Inspector } from '../inspect/inspector.ts'
import type { EdgeMetrics } from '../metrics.ts'
import type { WorkQueue } from './work-queue.ts'

/** Seeds for demo images: far from every train/val/test range (0…3,999,999), so the models never saw them. */
const DEMO_SEED_BASE = 50_000_000

/**
 * A stand-in camera for `npm start`: generated 256×256 defect images (all classes, some with a
 * second defect) fed to one line at `rate` images per second through the same path as a POST.
 * A frame that finds the queue full is skipped, as a real camera drops frames.
 */
export class DemoCamera {
  private timer: NodeJS.Timeout | undefined
  private seed = DEMO_SEED_BASE + Math.floor(Math.random() * 1_000_000) * 16
  private readonly inFlight = new Set<Promise<unknown>>()

  constructor(
    private readonly lineId: string,
    private readonly rate: number,
    private readonly inspector: Inspector,
    private readonly queue: WorkQueue,
    private readonly metrics: EdgeMetrics,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.rate <= 0) return
    this.timer = setInterval(() => this.frame(), 1000 / this.rate)
    this.log.info({ lineId: this.lineId, rate: this.rate }, 'demo camera on')
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await Promise.allSettled(this.inFlight)
  }

  private frame(): void {
    if (this.queue.full) {
      this.metrics.demoDropped.inc()
      return
    }
    const sample = generateSample(this.seed++, 256, undefined, { secondDefect: 0.2 })
    const bytes = encodeGreyPng(256, 256, sample.pixels)
    const task = this.queue
      .run(() =>
        this.inspector.inspect({ lineId: this.lineId, bytes, contentType: 'image/png', source: 'demo' }),
      )
      .catch((err: unknown) => {
        if (err instanceof EdgeError && err.code === 'EDGE_LINE_NO_POLICY') return
        if (err instanceof EdgeError && err.code === 'EDGE_QUEUE_FULL') this.metrics.demoDropped.inc()
        else this.log.warn({ err }, 'demo frame failed')
      })
      .finally(() => this.inFlight.delete(task))
    this.inFlight.add(task)
  }
}
