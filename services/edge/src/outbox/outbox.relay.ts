import type { OutboxRow, Storage } from '../../../../lib/db/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import { isRetriable, type MessageContract, type MessageProducer } from '../../../../lib/messaging/index.ts'
import type { EdgeMetrics } from '../metrics.ts'

export type RelayOptions = {
  /** Records per Kafka send. */
  batch: number
  /** Idle poll period (ms); `kick()` wakes the relay sooner. */
  intervalMs: number
  /** Longest wait between retries of a failed send (ms). */
  maxBackoffMs: number
  /**
   * Most record bytes per send. kafkajs writes one record batch per partition and a broker refuses
   * a batch over its `max.message.bytes` (1 MiB by default): a send stays well under it.
   */
  maxSendBytes: number
  clock?: () => Date
}

/**
 * Publishes the outbox to Kafka, oldest first, in sends per topic of at most `maxSendBytes`
 * (acks = all; records go as the contract encoded them when the inspection was written), and marks
 * rows sent only after the broker acknowledged them. A failed send is retried with exponential
 * back-off (100 ms doubling to `maxBackoffMs`); while Kafka is away rows wait in the database,
 * and once it is back full batches go out back to back until the outbox is empty. A crash between
 * the acknowledgement and the mark repeats a record; every consumer is idempotent on the
 * inspection id.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined
  private wake: (() => void) | undefined
  private loop: Promise<void> | undefined
  private stopped = false
  private backoffMs = 0
  private readonly clock: () => Date

  constructor(
    private readonly storage: Storage,
    private readonly producer: () => MessageProducer | undefined,
    private readonly contracts: ReadonlyMap<string, MessageContract<unknown>>,
    private readonly metrics: EdgeMetrics,
    private readonly log: Logger,
    private readonly options: RelayOptions,
  ) {
    this.clock = options.clock ?? (() => new Date())
  }

  start(): void {
    this.loop = this.run()
  }

  /** Wakes an idle relay (a new record was committed). */
  kick(): void {
    if (this.backoffMs === 0) this.wake?.()
  }

  /**
   * Stops after the send in hand, waiting for it at most `graceMs` (ms): with the broker
   * unreachable a send is retried by kafkajs for seconds, and a shutdown must not wait on it.
   * Rows whose send was not acknowledged stay in the outbox and go out after the restart (a send
   * acknowledged after we stopped waiting is published again then; consumers are idempotent).
   * @returns true when the relay stopped within the grace
   */
  async stop(graceMs = 2000): Promise<boolean> {
    this.stopped = true
    this.wake?.()
    let timer: NodeJS.Timeout | undefined
    const stopped = await Promise.race([
      this.loop?.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs)
      }),
    ])
    clearTimeout(timer)
    return stopped ?? true
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let full = false
      try {
        full = await this.pass()
      } catch (err) {
        // After stop() the database may close under a pass the shutdown stopped waiting for.
        if (this.stopped) break
        this.log.error({ err }, 'outbox relay pass failed')
        this.backoffMs = this.nextBackoff()
      }
      if (this.stopped) break
      if (full && this.backoffMs === 0) continue
      await this.sleep(this.backoffMs || this.options.intervalMs)
    }
  }

  /** One pass: reads up to `batch` due rows, publishes them per topic. @returns true when it read a full batch */
  async pass(): Promise<boolean> {
    const producer = this.producer()
    if (!producer?.isConnected) return false
    const now = this.clock()
    const rows = await this.storage.edgeOutbox.due(now, this.options.batch)
    if (rows.length === 0) return false
    const byTopic = new Map<string, OutboxRow[]>()
    for (const row of rows) {
      const list = byTopic.get(row.topic) ?? []
      list.push(row)
      byTopic.set(row.topic, list)
    }
    let failed = false
    const retryAt = () => {
      if (!failed) this.backoffMs = this.nextBackoff()
      failed = true
      return new Date(now.getTime() + this.backoffMs)
    }
    for (const [topic, list] of byTopic) {
      if (this.stopped) break
      const contract = this.contracts.get(topic)
      if (!contract) {
        await this.storage.edgeOutbox.markFailed(
          list.map((r) => r.id),
          `no contract for topic ${topic} in this edge version`,
          new Date(now.getTime() + 3_600_000),
        )
        this.log.error(
          { topic, records: list.length },
          'outbox records for a topic this edge cannot publish; parked for an hour',
        )
        continue
      }
      let topicFailed = false
      for (const chunk of chunksOf(list, this.options.maxSendBytes)) {
        // One unacknowledged send ends the pass for its topic: the next sends would meet the same
        // outage, each after kafkajs' own retries (seconds), and a shutdown would wait for them
        // all. Their rows stay due and go after the back-off; the other topic still gets a try.
        if (topicFailed || this.stopped) break
        try {
          await producer.publishEncoded(contract, chunk.records)
          await this.storage.edgeOutbox.markSent(chunk.ids, this.clock())
          this.metrics.outboxPublished.inc({ topic }, chunk.ids.length)
        } catch (err) {
          if (!isRetriable(err)) {
            // Kafka will never take these as they are (e.g. MESSAGE_TOO_LARGE): park them for an
            // hour, loudly, without slowing the rows behind them.
            await this.storage.edgeOutbox.markFailed(
              chunk.ids,
              (err as Error).message,
              new Date(now.getTime() + 3_600_000),
            )
            this.log.error(
              { err: (err as Error).message, topic, records: chunk.ids.length },
              'outbox records refused by Kafka; parked for an hour',
            )
            continue
          }
          topicFailed = true
          const at = retryAt()
          await this.storage.edgeOutbox.markFailed(chunk.ids, (err as Error).message, at)
          this.log.warn(
            { err: (err as Error).message, topic, records: chunk.ids.length, retryInMs: this.backoffMs },
            'outbox send not acknowledged; will retry',
          )
        }
      }
    }
    if (!failed) this.backoffMs = 0
    return !failed && rows.length === this.options.batch
  }

  private nextBackoff(): number {
    return Math.min(this.options.maxBackoffMs, this.backoffMs === 0 ? 100 : this.backoffMs * 2)
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timer = setTimeout(resolve, ms)
      this.wake = () => {
        clearTimeout(this.timer)
        resolve()
      }
    })
  }
}

type Chunk = { ids: number[]; records: { key: string; value: Buffer; headers: Record<string, string> }[] }

/** Splits a topic's rows into sends of at most `maxBytes` of record values (a bigger record goes alone). */
function chunksOf(rows: OutboxRow[], maxBytes: number): Chunk[] {
  const chunks: Chunk[] = []
  let current: Chunk = { ids: [], records: [] }
  let bytes = 0
  for (const row of rows) {
    // Record overhead in a v2 batch is under 64 bytes plus its header names and values.
    let n = row.value.length + row.key.length + 64
    for (const [k, v] of Object.entries(row.headers)) n += k.length + v.length + 8
    if (current.ids.length > 0 && bytes + n > maxBytes) {
      chunks.push(current)
      current = { ids: [], records: [] }
      bytes = 0
    }
    current.ids.push(row.id)
    current.records.push({ key: row.key, value: row.value, headers: row.headers })
    bytes += n
  }
  if (current.ids.length > 0) chunks.push(current)
  return chunks
}
