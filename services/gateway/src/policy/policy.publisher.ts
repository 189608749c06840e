import type { Storage } from '../../../../lib/db/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import { type Messaging, openMessaging, policyV2 } from '../../../../lib/messaging/index.ts'
import { policyMessage } from './demo-seed.ts'

/**
 * Publishes every line's current policy on the compacted `tokenline.policies.v2` topic, keyed by
 * line id, so a starting edge reads them. Connects in the background (the gateway serves
 * GraphQL with Kafka down) and retries every `retryMs` until the broker answers. Edges apply a
 * version only when it is newer than theirs, so republishing at every start is harmless.
 */
export class PolicyPublisher {
  private messaging: Messaging | undefined
  private closed = false
  private timer: NodeJS.Timeout | undefined
  private loop: Promise<void> | undefined

  constructor(
    private readonly brokers: string[],
    private readonly storage: Storage,
    private readonly log: Logger,
    private readonly retryMs = 5000,
  ) {}

  start(): void {
    this.loop = this.run()
  }

  /** Resolves after the first successful publish (tests). */
  published(): Promise<void> {
    return this.loop ?? Promise.resolve()
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    await this.messaging?.close()
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        this.messaging ??= await openMessaging({
          brokers: this.brokers,
          clientId: 'tokenline-gateway',
          logger: this.log,
          connectRetry: { attempts: 2, initialDelayMs: 250, maxDelayMs: 1000 },
        })
        if (this.closed) break
        const lines = await this.storage.lines.list()
        let count = 0
        for (const line of lines) {
          const row = await this.storage.policies.current(line.id)
          if (!row) continue
          let message: ReturnType<typeof policyMessage>
          try {
            message = policyMessage({ ...row, lineId: line.id, body: { ...row.body, plantId: line.plantId } })
          } catch (err) {
            // A stored policy that no longer passes the contract is reported, not retried forever,
            // and does not hold back the other lines.
            this.log.error(
              { lineId: line.id, version: row.version, err: (err as Error).message },
              'stored policy fails the v2 contract; not published',
            )
            continue
          }
          await this.messaging.producer.publish(policyV2, line.id, message)
          count++
        }
        this.log.info({ policies: count }, 'current policies published')
        return
      } catch (err) {
        if (this.closed) break
        this.log.warn(
          { err: (err as Error).message, retryInMs: this.retryMs },
          'could not publish policies yet; retrying',
        )
        await new Promise<void>((resolve) => {
          this.timer = setTimeout(resolve, this.retryMs)
        })
      }
    }
    // Closed while a connection round was under way: close what it opened.
    await this.messaging?.close()
    this.messaging = undefined
  }
}
