/**
 * Which inspections already have a verdict, read from `tokenline.verdicts.v2` itself.
 *
 * Why: the escalation offset is committed after the verdict is acknowledged, so an instance
 * killed between the two leaves cases that the next owner of the partition receives again.
 * Kafka transactions would make that exactly-once but are not available on every broker
 * (the embedded one has none), so the cloud checks the verdict log instead: before it answers a
 * batch that may have been handled elsewhere, it reads the log up to the end offsets it sees now
 * (`sync`) and skips the inspections found there. A dead instance's acknowledged verdicts are in
 * the log long before its partitions move (the group waits a session timeout), so they are found.
 *
 * The ledger is a kafkajs consumer in a group of its own that never commits; whenever it joins
 * it seeks every partition to the first record of the last `windowMs` (a redelivery or an edge's
 * resend comes within seconds to hours, not days), so a start does not read the whole retention.
 * A running instance forgets ids past the same window, so it remembers what a restarted one would:
 * memory is bounded by the window's verdicts and by `maxEntries` ids, oldest forgotten first.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Admin, Consumer, Kafka } from 'kafkajs'
import type { Logger } from '../../../../lib/log/index.ts'
import { verdictsTopicV2 } from '../../../../lib/messaging/index.ts'
import { CloudError } from '../errors.ts'
import { AnsweredIds } from './answered-ids.ts'

export type VerdictLedgerOptions = {
  kafka: Kafka
  /** Group id of the ledger's reader; unique per instance. */
  groupId: string
  logger: Logger
  maxEntries: number
  /** How long `sync` waits for the reader to reach the end offsets, ms. */
  syncTimeoutMs: number
  /** Verdicts older than this (record timestamp) are not read at a join, and are forgotten, ms. */
  windowMs: number
  /** The clock, ms since the epoch; default `Date.now` (tests inject one). */
  now?: () => number
}

export class VerdictLedger {
  private readonly answered: AnsweredIds
  /** Next offset to read, per partition of the verdict topic. */
  private readonly positions = new Map<number, bigint>()
  private joined = false
  private crashed = false

  private constructor(
    private readonly options: VerdictLedgerOptions,
    private readonly consumer: Consumer,
    readonly admin: Admin,
  ) {
    this.answered = new AnsweredIds(options.maxEntries, options.windowMs, options.now)
  }

  static async start(options: VerdictLedgerOptions): Promise<VerdictLedger> {
    const consumer = options.kafka.consumer({
      groupId: options.groupId,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    })
    const admin = options.kafka.admin()
    const ledger = new VerdictLedger(options, consumer, admin)
    consumer.on(consumer.events.GROUP_JOIN, () => {
      ledger.crashed = false
      void ledger.seekToWindow().then(
        () => {
          ledger.joined = true
        },
        (err: unknown) => {
          ledger.crashed = true
          options.logger.error({ err }, 'verdict ledger could not seek to its window')
        },
      )
    })
    consumer.on(consumer.events.CRASH, (event) => {
      ledger.crashed = true
      options.logger.error({ err: event.payload.error }, 'verdict ledger reader crashed')
    })
    await admin.connect()
    await consumer.connect()
    await consumer.subscribe({ topics: [verdictsTopicV2], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        // The seek to the window runs after the join while kafkajs may already fetch from the
        // start: a record older than the window is skipped here too, whichever came first.
        const oldest = (options.now ?? Date.now)() - options.windowMs
        for (const message of batch.messages) {
          const at = Number(message.timestamp)
          if (at < oldest) continue
          const id = inspectionIdOf(message.value)
          if (id !== undefined) ledger.answered.add(id, at)
        }
        if (batch.messages.length > 0)
          ledger.positions.set(
            batch.partition,
            BigInt(batch.messages[batch.messages.length - 1]!.offset) + 1n,
          )
      },
    })
    return ledger
  }

  private async seekToWindow(): Promise<void> {
    const starts = await this.admin.fetchTopicOffsetsByTimestamp(
      verdictsTopicV2,
      (this.options.now ?? Date.now)() - this.options.windowMs,
    )
    for (const { partition, offset } of starts) {
      this.positions.set(partition, BigInt(offset))
      this.consumer.seek({ topic: verdictsTopicV2, partition, offset })
    }
  }

  /** True once the reader is in its group, positioned at its window, and has not crashed. */
  isReady(): boolean {
    return this.joined && !this.crashed
  }

  has(inspectionId: string): boolean {
    return this.answered.has(inspectionId)
  }

  /** Notes a verdict this instance published (its reader will see it again; that is harmless). */
  record(inspectionId: string): void {
    this.answered.add(inspectionId)
  }

  get size(): number {
    return this.answered.size
  }

  /**
   * Waits until every verdict written before this call has been read.
   * @throws CloudError CLOUD_LEDGER_BEHIND (retriable) after `syncTimeoutMs`
   */
  async sync(): Promise<void> {
    const ends = await this.admin.fetchTopicOffsets(verdictsTopicV2)
    const deadline = Date.now() + this.options.syncTimeoutMs
    const behind = () =>
      ends.filter(
        (p) => p.high !== p.low && (this.positions.get(p.partition) ?? BigInt(p.low)) < BigInt(p.high),
      )
    for (let lagging = behind(); lagging.length > 0; lagging = behind()) {
      if (Date.now() > deadline)
        throw new CloudError(
          'CLOUD_LEDGER_BEHIND',
          `expected to read ${verdictsTopicV2} to its end within ${this.options.syncTimeoutMs} ms but partitions ${lagging.map((p) => p.partition).join(', ')} are behind`,
        )
      await sleep(5)
    }
  }

  async close(): Promise<void> {
    await this.consumer.disconnect()
    await this.admin.disconnect()
  }
}

const idPrefix = Buffer.from('{"inspectionId":"')
const uuidLength = 36

/**
 * The inspection id of a verdict record. Verdicts are JSON with `inspectionId` first (the schema's
 * key order), so the id is read from its fixed place without parsing the whole record; anything
 * else is parsed.
 */
export function inspectionIdOf(value: Buffer | null): string | undefined {
  if (value === null) return undefined
  const end = idPrefix.length + uuidLength
  if (value.length > end && value.subarray(0, idPrefix.length).equals(idPrefix) && value[end] === 0x22)
    return value.toString('latin1', idPrefix.length, end)
  try {
    const id = (JSON.parse(value.toString('utf8')) as { inspectionId?: unknown }).inspectionId
    return typeof id === 'string' ? id : undefined
  } catch {
    return undefined
  }
}
