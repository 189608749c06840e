import type { Storage } from '../../../../lib/db/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import { type Messaging, openMessaging, policyV2 } from '../../../../lib/messaging/index.ts'
import type { GatewayEvents } from '../events/gateway-events.ts'
import { policyMessage } from './demo-seed.ts'

/**
 * Publishes lines' current policies on the compacted `tokenline.policies.v2` topic, keyed by
 * line id, so edges apply them and a starting edge reads them all.
 *
 * - At start, every line's current policy (a version stored while Kafka was down, or just
 *   before a crash, goes out then).
 * - On every `policyChanged` event, that line's current policy.
 *
 * Lines waiting to be published sit in a set; a failed publish keeps its line there and the
 * whole set is retried every `retryMs` until the broker answers. The current row is read at
 * publish time, so a burst of changes publishes the newest version (edges apply a version only
 * when it is newer than theirs, so publishing one twice is harmless). The gateway serves GraphQL
 * with Kafka down.
 */
export class PolicyPublisher {
  private messaging: Messaging | undefined
  private closed = false
  private readonly pending = new Set<string>()
  private wake: (() => void) | undefined
  private sleeping: NodeJS.Timeout | undefined
  private readonly stopListening = new AbortController()
  private loop: Promise<void> | undefined
  private firstRound: Promise<void>
  private firstRoundDone!: () => void

  constructor(
    private readonly brokers: string[],
    private readonly storage: Storage,
    private readonly log: Logger,
    private readonly retryMs = 5000,
  ) {
    this.firstRound = new Promise((resolve) => {
      this.firstRoundDone = resolve
    })
  }

  /** Starts publishing; with `events`, also every policy change from now on. */
  start(events?: GatewayEvents): void {
    if (events) void this.follow(events)
    this.loop = this.run()
  }

  /** Resolves after the policies current at start were published (tests), or on close. */
  published(): Promise<void> {
    return this.firstRound
  }

  /** Line ids whose current policy is not published yet. */
  get backlog(): number {
    return this.pending.size
  }

  /** Queues `lineId`'s current policy for publishing. */
  enqueue(lineId: string): void {
    this.pending.add(lineId)
    this.wake?.()
  }

  async close(): Promise<void> {
    this.closed = true
    this.stopListening.abort()
    clearTimeout(this.sleeping)
    this.wake?.()
    this.firstRoundDone()
    await this.loop
  }

  private async follow(events: GatewayEvents): Promise<void> {
    try {
      for await (const [event] of events.listen('policyChanged', this.stopListening.signal)) {
        this.enqueue(event.row.lineId)
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err
    }
  }

  private async run(): Promise<void> {
    let startRound = true
    while (!this.closed) {
      try {
        this.messaging ??= await openMessaging({
          brokers: this.brokers,
          clientId: 'tokenline-gateway',
          logger: this.log,
          connectRetry: { attempts: 2, initialDelayMs: 250, maxDelayMs: 1000 },
        })
        if (this.closed) break
        if (startRound) {
          for (const line of await this.storage.lines.list()) this.pending.add(line.id)
        }
        let count = 0
        while (this.pending.size > 0 && !this.closed) {
          const lineId = this.pending.values().next().value as string
          this.pending.delete(lineId)
          try {
            if (await this.publishCurrent(lineId)) count++
          } catch (err) {
            this.pending.add(lineId)
            throw err
          }
        }
        if (startRound) {
          this.log.info({ policies: count }, 'current policies published')
          startRound = false
          this.firstRoundDone()
        } else if (count > 0) {
          this.log.info({ policies: count }, 'policy changes published')
        }
        if (this.pending.size === 0 && !this.closed) {
          await new Promise<void>((resolve) => {
            this.wake = resolve
          })
          this.wake = undefined
        }
      } catch (err) {
        if (this.closed) break
        this.log.warn(
          { err: (err as Error).message, retryInMs: this.retryMs, waiting: this.pending.size },
          'could not publish policies yet; retrying',
        )
        await new Promise<void>((resolve) => {
          this.wake = resolve
          this.sleeping = setTimeout(resolve, this.retryMs)
        })
        this.wake = undefined
        clearTimeout(this.sleeping)
      }
    }
    await this.messaging?.close().catch(() => undefined)
    this.messaging = undefined
  }

  /** Publishes the line's current version; false when it has none or it fails the contract. */
  private async publishCurrent(lineId: string): Promise<boolean> {
    const line = await this.storage.lines.get(lineId)
    const row = line && (await this.storage.policies.current(lineId))
    if (!line || !row) return false
    let message: ReturnType<typeof policyMessage>
    try {
      message = policyMessage({ ...row, body: { ...row.body, plantId: line.plantId } })
    } catch (err) {
      // A stored policy that no longer passes the contract is reported, not retried forever,
      // and does not hold back the other lines.
      this.log.error(
        { lineId, version: row.version, err: (err as Error).message },
        'stored policy fails the v2 contract; not published',
      )
      return false
    }
    await this.messaging!.producer.publish(policyV2, lineId, message)
    return true
  }
}
