/**
 * Reads tokenline.dlq.v1 once, from a start offset to the high-water mark seen when reading
 * starts, without leaving anything behind on the broker.
 *
 * kafkajs has no group-less consumer (no `assign`), so this is a throwaway consumer group
 * (`tokenline-dlq-cli-<uuid>`) that never commits: autoCommit off and no `commitOffsets`, so no
 * group offsets exist afterwards, and the empty group it leaves holds nothing (Kafka drops an
 * empty group without offsets at its next offsets cleanup). Every service's own group is
 * untouched. The high-water marks come from ListOffsets before the group joins, so records
 * dead-lettered while the command runs are not waited for.
 */
import { randomUUID } from 'node:crypto'
import type { Kafka } from 'kafkajs'
import type { Logger } from '../../lib/log/index.ts'
import { connectWithRetry, type DlqV1, dlqTopicV1, dlqV1 } from '../../lib/messaging/index.ts'
import { DlqError } from './dlq-errors.ts'

/** One record of the dead-letter topic, decoded when it is a dead-letter envelope. */
export type DlqRecord = {
  partition: number
  /** Offset in the DLQ, decimal. */
  offset: string
  /** The DLQ record's key: the original record's key, byte for byte. */
  key: Buffer | null
  /** The envelope; undefined when the record does not decode as tokenline.dead-letter v1. */
  letter: DlqV1 | undefined
  /** Why it does not decode, when it does not. */
  problem: string | undefined
}

/** Offsets a DLQ partition holds now: `low` … `high - 1`. */
export type Watermarks = { partition: number; low: bigint; high: bigint }

/** Prefix of the throwaway group ids (tests look for them). */
export const readerGroupPrefix = 'tokenline-dlq-cli-'

export type ReadDlqOptions = {
  brokers: string[]
  logger: Logger
  /** Start offset per partition; absent partitions are read from their start, or skipped with `only`. */
  from?: ReadonlyMap<number, bigint>
  /** Read only the partitions in `from`. */
  only?: boolean
  /** Called in offset order per partition; return true to stop reading. */
  onRecord: (record: DlqRecord) => boolean
  /** Give up when no record arrived for this long before the high-water mark (ms); default 30000. */
  idleMs?: number
}

export async function dlqWatermarks(kafka: Kafka, brokers: string[], logger: Logger): Promise<Watermarks[]> {
  const admin = kafka.admin()
  await connectWithRetry('admin', () => admin.connect(), { brokers, logger, retry: { attempts: 3 } })
  try {
    // Asked first: kafkajs retries metadata for a missing topic for seconds before failing vaguely.
    if (!(await admin.listTopics()).includes(dlqTopicV1))
      throw new DlqError(
        'DLQ_TOPIC_MISSING',
        `${dlqTopicV1} does not exist at ${brokers.join(',')}: no service has started against this cluster, or KAFKA_BROKERS names another one`,
      )
    const offsets = await admin.fetchTopicOffsets(dlqTopicV1)
    return offsets
      .map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }))
      .sort((a, b) => a.partition - b.partition)
  } finally {
    await admin.disconnect()
  }
}

/** Reads the DLQ up to the high-water marks of `marks` (see the file comment). */
export async function readDlq(
  kafka: Kafka,
  marks: readonly Watermarks[],
  options: ReadDlqOptions,
): Promise<void> {
  const start = new Map<number, bigint>()
  const end = new Map<number, bigint>()
  for (const m of marks) {
    const wanted = options.from?.get(m.partition)
    if (options.only && wanted === undefined) continue
    const first = wanted === undefined || wanted < m.low ? m.low : wanted
    if (first < m.high) {
      start.set(m.partition, first)
      end.set(m.partition, m.high)
    }
  }
  if (end.size === 0) return
  const idleMs = options.idleMs ?? 30_000
  const consumer = kafka.consumer({
    groupId: `${readerGroupPrefix}${randomUUID()}`,
    maxWaitTimeInMs: 200,
    allowAutoTopicCreation: false,
    retry: { retries: 3 },
  })
  let finish!: () => void
  let fail!: (err: Error) => void
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve
    fail = reject
  })
  let idle: NodeJS.Timeout | undefined
  const armIdle = () => {
    clearTimeout(idle)
    idle = setTimeout(
      () =>
        fail(
          new DlqError(
            'DLQ_READ_STALLED',
            `no dead letter arrived for ${idleMs} ms before the high-water mark of ${dlqTopicV1} (${[...end].map(([p, h]) => `${p}:${h}`).join(', ')}); is the broker at ${options.brokers.join(',')} busy?`,
            true,
          ),
        ),
      idleMs,
    )
  }
  let stopped = false
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    for (const partition of event.payload.memberAssignment[dlqTopicV1] ?? []) {
      const first = start.get(partition)
      // Partitions with nothing to read stay where they are; they are never waited for.
      if (first !== undefined) consumer.seek({ topic: dlqTopicV1, partition, offset: first.toString() })
    }
  })
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) fail(event.payload.error)
  })
  await connectWithRetry('dlq reader', () => consumer.connect(), {
    brokers: options.brokers,
    logger: options.logger,
    retry: { attempts: 3 },
  })
  try {
    await consumer.subscribe({ topics: [dlqTopicV1], fromBeginning: true })
    armIdle()
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const high = end.get(batch.partition)
        if (stopped || high === undefined) return
        armIdle()
        for (const message of batch.messages) {
          const offset = BigInt(message.offset)
          if (offset >= high) break
          if (offset < start.get(batch.partition)!) continue
          let letter: DlqV1 | undefined
          let problem: string | undefined
          try {
            letter = dlqV1.decode(message.value, message.headers)
          } catch (err) {
            problem = (err as Error).message
          }
          const record = {
            partition: batch.partition,
            offset: message.offset,
            key: message.key,
            letter,
            problem,
          }
          if (options.onRecord(record)) {
            stopped = true
            finish()
            return
          }
        }
        if (BigInt(batch.lastOffset()) >= high - 1n) {
          end.delete(batch.partition)
          if (end.size === 0) {
            stopped = true
            finish()
          }
        }
      },
    })
    await done
  } finally {
    clearTimeout(idle)
    await consumer.disconnect()
  }
}
