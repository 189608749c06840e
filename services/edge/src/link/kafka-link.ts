import type { Registry } from 'prom-client'
import type { Logger } from '../../../../lib/log/index.ts'
import { type VerdictV2, verdictV2 } from '../../../../lib/messaging/contracts/verdict.v2.ts'
import {
  type MessageProducer,
  type Messaging,
  openMessaging,
  type PolicyV2,
  policyV2,
} from '../../../../lib/messaging/index.ts'

export type LinkHandlers = {
  onPolicy: (policy: PolicyV2) => Promise<void>
  onVerdict: (verdict: VerdictV2) => Promise<void>
}

export type KafkaLinkOptions = {
  brokers: string[]
  nodeId: string
  registry: Registry
  /** Wait between connection rounds while Kafka is unreachable (ms); default 2000. */
  reconnectDelayMs?: number
}

/**
 * The edge's connection to Kafka, made in the background: the node starts and decides with the
 * broker down (policies from disk, escalations wait in the outbox) and connects whenever Kafka
 * answers. Once up it reads every served line's policy from the compacted topic (own group,
 * from the start) and the cloud's verdicts (own group: every node reads all verdicts and settles
 * only its own cases).
 */
export class KafkaLink {
  private messaging: Messaging | undefined
  private closed = false
  private connecting: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private watchdog: NodeJS.Timeout | undefined

  constructor(
    private readonly options: KafkaLinkOptions,
    private readonly handlers: LinkHandlers,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.connecting = this.connectLoop()
    this.supervise()
  }

  /**
   * kafkajs reconnects by itself after short outages; a consumer that crashed for good (retries
   * exhausted during a long outage) would stay down. Reconnect everything when the link has not
   * been ready for three checks in a row (≈ 15 s).
   */
  private supervise(): void {
    let notReady = 0
    this.watchdog = setInterval(() => {
      if (this.closed || this.messaging === undefined) return
      notReady = this.isUp() ? 0 : notReady + 1
      if (notReady < 3) return
      notReady = 0
      const stale = this.messaging
      this.messaging = undefined
      this.log.warn('Kafka link not ready for 15 s; reconnecting')
      this.connecting = stale
        .close()
        .catch(() => undefined)
        .then(() => this.connectLoop())
    }, 5000)
    this.watchdog.unref()
  }

  /** The producer while connected, for the outbox relay. */
  producer(): MessageProducer | undefined {
    return this.messaging?.producer
  }

  isUp(): boolean {
    return this.messaging?.isReady() ?? false
  }

  /** Resolves once connected (tests, start-up logs). */
  async connected(): Promise<void> {
    await this.connecting
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    clearInterval(this.watchdog)
    // A connection round in progress is not awaited (kafkajs may take seconds to give up on an
    // absent broker); the loop sees `closed` and closes whatever it opened.
    await this.messaging?.close()
    this.messaging = undefined
  }

  private async connectLoop(): Promise<void> {
    const { brokers, nodeId } = this.options
    for (let round = 1; !this.closed; round++) {
      let messaging: Messaging | undefined
      try {
        messaging = await openMessaging({
          brokers,
          clientId: `tokenline-edge-${nodeId}`,
          logger: this.log,
          registry: this.options.registry,
          idempotent: true,
          connectRetry: { attempts: 2, initialDelayMs: 250, maxDelayMs: 1000 },
        })
        await messaging.subscribe({
          groupId: `tokenline-edge-${nodeId}-policies`,
          contract: policyV2,
          replayFromStart: true,
          handler: (policy) => this.handlers.onPolicy(policy),
        })
        await messaging.subscribe({
          groupId: `tokenline-edge-${nodeId}-verdicts`,
          contract: verdictV2,
          handler: (verdict) => this.handlers.onVerdict(verdict),
        })
        if (this.closed) {
          await messaging.close()
          return
        }
        this.messaging = messaging
        this.log.info({ brokers, round }, 'connected to Kafka')
        return
      } catch (err) {
        await messaging?.close().catch(() => undefined)
        this.log.warn(
          { brokers, round, err: (err as Error).message },
          'Kafka unreachable; deciding locally, escalations wait in the outbox',
        )
        await new Promise<void>((resolve) => {
          this.timer = setTimeout(resolve, this.options.reconnectDelayMs ?? 2000)
        })
      }
    }
  }
}
