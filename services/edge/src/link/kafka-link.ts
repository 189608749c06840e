import type { Registry } from 'prom-client'
import type { Logger } from '../../../../lib/log/index.ts'
import { type VerdictV2, verdictV2 } from '../../../../lib/messaging/contracts/verdict.v2.ts'
import {
  type DeadLetterLedger,
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
  /**
   * What this node already dead-lettered, kept across reconnects and restarts: the policies
   * topic is replayed from the start at every group join, and a bad record on it must reach the
   * dead-letter topic once, not at every join.
   */
  deadLetterLedger?: DeadLetterLedger
}

/**
 * The edge's connection to Kafka, made in the background: the node starts and decides with the
 * broker down (policies from disk, escalations wait in the outbox) and connects whenever Kafka
 * answers. Once the producer is connected the outbox relay publishes; the two consumer groups
 * join beside it, never before it: every served line's policy from the compacted topic (own
 * group, from the start) and the cloud's verdicts (own group: every node reads all verdicts and
 * settles only its own cases). After a kill -9 the dead member holds both groups until its
 * session times out (30 s); meanwhile the node decides with its last known policies and publishes.
 */
export class KafkaLink {
  private messaging: Messaging | undefined
  private closed = false
  private connecting: Promise<void> | undefined
  /** A consumer group of the current connection could not be joined: the watchdog reconnects. */
  private groupsFailed = false
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

  /** Producer connected and no consumer crashed or failed to join (a group still joining counts as up). */
  isUp(): boolean {
    return !this.groupsFailed && (this.messaging?.isReady() ?? false)
  }

  /** Resolves once the producer is connected (tests, start-up logs). */
  async connected(): Promise<void> {
    await this.connecting
  }

  /**
   * Leaves the groups and disconnects, waiting at most `graceMs` (ms): a broker that answers
   * nothing (a silent cut) would hold a LeaveGroup or a disconnect for kafkajs' request timeout
   * (30 s), and the process exits after close anyway.
   */
  async close(graceMs = 3000): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    clearInterval(this.watchdog)
    // A connection round in progress is not awaited (kafkajs may take seconds to give up on an
    // absent broker); the loop sees `closed` and closes whatever it opened.
    const messaging = this.messaging
    this.messaging = undefined
    if (!messaging) return
    let timer: NodeJS.Timeout | undefined
    const closed = await Promise.race([
      messaging.close().then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs)
      }),
    ])
    clearTimeout(timer)
    if (!closed) this.log.warn({ graceMs }, 'Kafka connections did not close in time; leaving them')
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
        if (this.closed) {
          await messaging.close()
          return
        }
        this.groupsFailed = false
        this.messaging = messaging
        this.log.info({ brokers, round }, 'connected to Kafka; publishing the outbox')
        // Never rejects (each join is settled and logged): not awaited, so the relay publishes now.
        void this.joinGroups(messaging)
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

  /**
   * Joins the policies and verdicts groups side by side, in the background: a join waits for
   * every member the group still lists (after a kill -9, the dead one until its session expires),
   * and publishing must not. A group that cannot be joined marks the link down; the watchdog then
   * reconnects everything.
   */
  private async joinGroups(messaging: Messaging): Promise<void> {
    const { nodeId } = this.options
    const started = performance.now()
    const joins = await Promise.allSettled([
      messaging.subscribe({
        groupId: `tokenline-edge-${nodeId}-policies`,
        contract: policyV2,
        replayFromStart: true,
        deadLetterLedger: this.options.deadLetterLedger,
        handler: (policy) => this.handlers.onPolicy(policy),
      }),
      messaging.subscribe({
        groupId: `tokenline-edge-${nodeId}-verdicts`,
        contract: verdictV2,
        deadLetterLedger: this.options.deadLetterLedger,
        handler: (verdict) => this.handlers.onVerdict(verdict),
      }),
    ])
    // Closed or replaced by the watchdog meanwhile: what joined late is closed by `messaging`.
    if (this.messaging !== messaging) return
    const failed = joins.flatMap((j) =>
      j.status === 'rejected' ? [j.reason instanceof Error ? j.reason.message : String(j.reason)] : [],
    )
    if (failed.length > 0) {
      this.groupsFailed = true
      this.log.warn({ err: failed }, 'Kafka consumer groups not joined; reconnecting')
      return
    }
    this.log.info(
      { waitedMs: Math.round(performance.now() - started) },
      'policies and verdicts groups joined',
    )
  }
}
