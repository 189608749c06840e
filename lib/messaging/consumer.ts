import { setTimeout as sleep } from 'node:timers/promises'
import type { Consumer, ConsumerRunConfig, IHeaders, Kafka, KafkaMessage } from 'kafkajs'
import type { Logger } from '../log/index.ts'
import type { MessageContract } from './contracts/contract.ts'
import { headerText } from './contracts/contract.ts'
import { dlqV1 } from './contracts/dlq.v1.ts'
import { type DeadLetterLedger, deadLetterKey, MemoryDeadLetterLedger } from './dead-letter-ledger.ts'
import { errorCodeOf, isRetriable, MessagingError } from './errors.ts'
import { type ConnectRetryOptions, connectWithRetry } from './kafka.ts'
import type { MessagingMetrics } from './metrics.ts'
import type { MessageProducer } from './producer.ts'

/** Where a message came from, for logs and idempotency keys. */
export type MessageContext = {
  topic: string
  partition: number
  /** Kafka offset as a decimal string. */
  offset: string
  key: Buffer | null
  /** Record timestamp, milliseconds since the epoch as a decimal string. */
  timestamp: string
  headers: IHeaders
  /** 1 on first delivery to the handler, then 2, 3… while retriable errors are retried. */
  attempt: number
}

export type MessageHandler<T> = (message: T, context: MessageContext) => Promise<void>

export type HandlerRetryOptions = {
  /** First wait after a retriable failure (ms); doubles each time. Default 200. */
  initialDelayMs?: number
  /** Cap on the wait (ms). Default 10000. */
  maxDelayMs?: number
  /**
   * Attempts before a message that keeps failing with retriable errors is dead-lettered.
   * Default: unlimited (the partition waits, in order, until the dependency is back).
   */
  maxAttempts?: number
}

type ConsumerOptions<T> = {
  kafka: Kafka
  /** Consumer group; instances with the same id share the topic's partitions. */
  groupId: string
  contract: MessageContract<T>
  /** Producer used to write to `tokenline.dlq.v1`. */
  deadLetter: MessageProducer
  logger: Logger
  /** Seed brokers, for error messages. */
  brokers: string[]
  /** Where a group without committed offsets starts: true = earliest (default), false = latest. */
  fromBeginning?: boolean
  /**
   * Seek every assigned partition to its earliest offset whenever this member joins, whatever
   * was committed: for compacted state topics (policies) that a restarting consumer must read
   * whole. Give each such consumer its own group id (e.g. per edge) so it is assigned every
   * partition. Default false.
   */
  replayFromStart?: boolean
  /** Partitions handled in parallel by this instance; order holds within a partition. Default 1. */
  concurrency?: number
  /** A member that misses heartbeats this long (ms) is evicted; default 30000. */
  sessionTimeoutMs?: number
  /**
   * Longest a fetch waits on the broker for new records (ms); also bounds how long `close()`
   * waits for the fetch in flight. Default 500 (Kafka's fetch.max.wait.ms).
   */
  maxWaitMs?: number
  /** Heartbeat period (ms); default 3000. */
  heartbeatIntervalMs?: number
  retry?: HandlerRetryOptions
  connectRetry?: ConnectRetryOptions
  /** Counts outcomes, retries and handler time when given. */
  metrics?: MessagingMetrics
  /**
   * Records already dead-lettered, which are not dead-lettered again when delivered again (a
   * replayed compacted topic, a redelivery after a lost commit). Default: in memory, for this
   * subscription's life; give a `FileDeadLetterLedger` to remember across restarts.
   */
  deadLetterLedger?: DeadLetterLedger
}

export type SubscribeOptions<T> = ConsumerOptions<T> & { handler: MessageHandler<T> }

export type BatchItem<T> = { message: T; context: MessageContext }

/**
 * Handles up to `maxBatch` decoded messages of one partition at once. Throwing fails the whole
 * batch (retriable: retried; otherwise every item is dead-lettered); `failed` names single items
 * to dead-letter while the rest count as done.
 */
export type BatchHandler<T> = (
  items: BatchItem<T>[],
  attempt: number,
) => Promise<{ failed?: { index: number; error: unknown }[] } | undefined>

export type SubscribeBatchesOptions<T> = ConsumerOptions<T> & {
  handleBatch: BatchHandler<T>
  /** Most messages per call of `handleBatch`; default 32. */
  maxBatch?: number
}

export type Subscription = {
  /** Resolves when this member first joins its group and owns its partitions. */
  readonly joined: Promise<void>
  /** True while the member is in the group and has not crashed. */
  isReady(): boolean
  /** Stops fetching, lets the message in hand finish (a retry wait is cut short and not committed), leaves the group. */
  close(): Promise<void>
}

/** kafkajs' special offset for "the earliest retained record". */
const earliestOffset = '-2'

type Outcome =
  | { kind: 'done' }
  | { kind: 'dead-letter'; err: unknown; attempts: number }
  | { kind: 'stopped' }

/**
 * Consumes `contract.topic` in a consumer group, one message at a time per partition:
 * decode + validate → handler → commit offset + 1. A message that fails its contract, or whose
 * handler throws a non-retriable error, goes to the dead-letter topic with the reason and is then
 * committed. A retriable error (`err.retriable === true`) is retried with backoff and heartbeats;
 * the offset is committed only after success, so a crash means redelivery, never loss (handlers
 * are idempotent on the message's id).
 */
export async function subscribe<T>(options: SubscribeOptions<T>): Promise<Subscription> {
  options = withLedger(options)
  return startConsumer(options, (consumer, stop, log) => ({
    eachMessage: async ({ topic, partition, message, heartbeat }) => {
      if (stop.aborted) return
      const record = { topic, partition, message }
      let decoded: T
      try {
        decoded = options.contract.decode(message.value, message.headers)
      } catch (err) {
        await deadLetter(options, record, err, 0, log)
        await commit(consumer, topic, partition, message.offset)
        return
      }
      const outcome = await withHandlerRetry(
        options.retry,
        (attempt) => options.handler(decoded, contextOf(record, attempt)),
        { stop, heartbeat, log, where: { partition, offset: message.offset }, metrics: metricsFor(options) },
      )
      if (outcome.kind === 'stopped') return
      if (outcome.kind === 'dead-letter')
        await deadLetter(options, record, outcome.err, outcome.attempts, log)
      else countDone(options, 1)
      await commit(consumer, topic, partition, message.offset)
    },
  }))
}

/**
 * Like `subscribe`, but hands the handler up to `maxBatch` messages of one partition at once
 * (for micro-batched inference). Invalid messages are dead-lettered before the handler sees the
 * batch; the batch's last offset is committed after the handler succeeds.
 */
export async function subscribeBatches<T>(options: SubscribeBatchesOptions<T>): Promise<Subscription> {
  const maxBatch = options.maxBatch ?? 32
  options = withLedger(options)
  return startConsumer(options, (consumer, stop, log) => ({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, heartbeat, resolveOffset, isRunning, isStale }) => {
      const { topic, partition } = batch
      for (let i = 0; i < batch.messages.length; i += maxBatch) {
        if (stop.aborted || !isRunning() || isStale()) return
        const chunk = batch.messages.slice(i, i + maxBatch)
        const items: { message: T; record: RawRecord }[] = []
        for (const message of chunk) {
          const record = { topic, partition, message }
          try {
            items.push({ message: options.contract.decode(message.value, message.headers), record })
          } catch (err) {
            await deadLetter(options, record, err, 0, log)
          }
        }
        if (items.length > 0) {
          let failed: { index: number; error: unknown }[] = []
          const outcome = await withHandlerRetry(
            options.retry,
            async (attempt) => {
              const result = await options.handleBatch(
                items.map((item) => ({ message: item.message, context: contextOf(item.record, attempt) })),
                attempt,
              )
              failed = result?.failed ?? []
            },
            {
              stop,
              heartbeat,
              log,
              where: { partition, offset: chunk[0]!.offset },
              metrics: metricsFor(options),
            },
          )
          if (outcome.kind === 'stopped') return
          if (outcome.kind === 'dead-letter') {
            for (const item of items)
              await deadLetter(options, item.record, outcome.err, outcome.attempts, log)
          } else {
            let deadLettered = 0
            for (const { index, error } of failed) {
              const item = items[index]
              if (item) {
                await deadLetter(options, item.record, error, 1, log)
                deadLettered++
              }
            }
            countDone(options, items.length - deadLettered)
          }
        }
        const last = chunk[chunk.length - 1]!
        resolveOffset(last.offset)
        await commit(consumer, topic, partition, last.offset)
        await heartbeat()
      }
    },
  }))
}

type RawRecord = { topic: string; partition: number; message: KafkaMessage }

function withLedger<O extends ConsumerOptions<unknown>>(options: O): O {
  return options.deadLetterLedger ? options : { ...options, deadLetterLedger: new MemoryDeadLetterLedger() }
}

async function startConsumer<T>(
  options: ConsumerOptions<T>,
  handlers: (
    consumer: Consumer,
    stop: AbortSignal,
    log: Logger,
  ) => Omit<ConsumerRunConfig, 'autoCommit' | 'partitionsConsumedConcurrently'>,
): Promise<Subscription> {
  const log = options.logger.child({ topic: options.contract.topic, groupId: options.groupId })
  const stop = new AbortController()
  /** The consumer's start in flight (first run or a restart): settles once it joined or crashed. */
  let starting: Promise<void> = Promise.resolve()
  let restartTimer: NodeJS.Timeout | undefined
  /** A restart is scheduled for the crash being handled (read by the CRASH listener). */
  let restartScheduled = false
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: options.heartbeatIntervalMs ?? 3000,
    maxWaitTimeInMs: options.maxWaitMs ?? 500,
    allowAutoTopicCreation: false,
    retry: {
      retries: 5,
      // kafkajs restarts a crashed consumer by itself on a timer, but `stop()` cannot cancel a
      // restart whose group join is in flight: that join, once it succeeds (or fails and
      // schedules one more restart), leaves a member kafkajs no longer controls, which owns
      // partitions and drops their records (seen in the full fault drill: the edge's link closed
      // its subscriptions during a cut and a second member per group came back with the broker).
      // So kafkajs never restarts; this subscription does, and `close()` waits for that start.
      restartOnFailure: async (err) => {
        restartScheduled = !stop.signal.aborted
        if (restartScheduled) {
          // kafkajs' own wait: the retrier's last backoff, else 300 ms (ms).
          const delayMs = (err as { retryTime?: number }).retryTime || 300
          log.warn({ delayMs, err: err.message }, 'restarting the consumer')
          restartTimer = setTimeout(() => {
            restartTimer = undefined
            if (stop.signal.aborted) return
            starting = consumer
              .run(runConfig)
              .catch((e: Error) => log.error({ err: e.message }, 'consumer restart failed'))
          }, delayMs)
        }
        return false
      },
    },
  })
  let ready = false
  let resolveJoined!: () => void
  let rejectJoined!: (err: Error) => void
  const joined = new Promise<void>((resolve, reject) => {
    resolveJoined = resolve
    rejectJoined = reject
  })
  // A caller that never awaits `joined` must not see an unhandled rejection.
  joined.catch(() => undefined)
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    if (options.replayFromStart) {
      for (const [topic, partitions] of Object.entries(event.payload.memberAssignment)) {
        for (const partition of partitions) consumer.seek({ topic, partition, offset: earliestOffset })
      }
    }
    ready = true
    resolveJoined()
    log.info({ memberId: event.payload.memberId, assignment: event.payload.memberAssignment }, 'joined group')
  })
  consumer.on(consumer.events.CRASH, (event) => {
    ready = false
    const restart = restartScheduled
    restartScheduled = false
    log.error({ err: event.payload.error, restart }, 'consumer crashed')
    // kafkajs gives up on a non-retriable error (e.g. a session timeout the broker refuses): the
    // member will never join, so whoever waits for it must hear why instead of waiting forever.
    if (!restart) {
      const cause = event.payload.error
      rejectJoined(
        new MessagingError(
          'MESSAGING_SUBSCRIBE_FAILED',
          `consumer ${options.groupId} on ${options.contract.topic} stopped and will not restart: ${cause?.message ?? String(cause)}`,
          false,
          { cause },
        ),
      )
    }
  })
  consumer.on(consumer.events.STOP, () => {
    ready = false
  })

  const runConfig: ConsumerRunConfig = {
    autoCommit: false,
    partitionsConsumedConcurrently: options.concurrency ?? 1,
    ...handlers(consumer, stop.signal, log),
  }

  await connectWithRetry(`consumer ${options.groupId}`, () => consumer.connect(), {
    brokers: options.brokers,
    logger: log,
    retry: options.connectRetry,
  })
  try {
    await consumer.subscribe({
      topics: [options.contract.topic],
      fromBeginning: options.fromBeginning ?? true,
    })
    starting = consumer.run(runConfig)
    await starting
  } catch (err) {
    await consumer.disconnect().catch(() => undefined)
    throw new MessagingError(
      'MESSAGING_SUBSCRIBE_FAILED',
      `consumer ${options.groupId} could not subscribe to ${options.contract.topic}: ${(err as Error).message}`,
      isRetriable(err),
      { cause: err },
    )
  }

  let closing: Promise<void> | undefined
  return {
    joined,
    isReady: () => ready && !stop.signal.aborted,
    close() {
      closing ??= (async () => {
        stop.abort()
        clearTimeout(restartTimer)
        // A restart's join in flight is let finish (joined, or crashed without another restart):
        // stopped midway it would join anyway, out of reach. With the broker away this waits for
        // kafkajs' join retries (≈ 10 s); callers that must stop sooner bound close() themselves.
        await starting
        await consumer.disconnect()
        ready = false
      })()
      return closing
    },
  }
}

/**
 * Group errors a commit can meet when the member has lost its place (the broker restarted and
 * forgot the group, the session expired, a rebalance started): kafkajs' runner rejoins on these.
 */
const membershipErrorTypes = new Set([
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
])

async function commit(consumer: Consumer, topic: string, partition: number, offset: string): Promise<void> {
  try {
    await consumer.commitOffsets([{ topic, partition, offset: (BigInt(offset) + 1n).toString() }])
  } catch (err) {
    // kafkajs' commitOffsets wraps a non-retriable protocol error in KafkaJSNonRetriableError,
    // which its runner does not recognise: the consumer then crashes and never restarts (seen
    // after a broker kill -9: "The coordinator is not aware of this member", restart=false).
    // Thrown as it came from the broker, the runner rejoins the group, and the uncommitted
    // records are delivered again (handlers are idempotent).
    throw membershipError(err) ?? err
  }
}

function membershipError(err: unknown): Error | undefined {
  for (let e = err; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const type = (e as { type?: unknown }).type
    if (typeof type === 'string' && membershipErrorTypes.has(type)) return e as Error
    if ((e as { cause?: unknown }).cause === e) break
  }
  return undefined
}

function contextOf(record: RawRecord, attempt: number): MessageContext {
  const { message } = record
  return {
    topic: record.topic,
    partition: record.partition,
    offset: message.offset,
    key: message.key,
    timestamp: message.timestamp,
    headers: message.headers ?? {},
    attempt,
  }
}

/** Runs `attempt(n)` until it succeeds, retrying retriable errors with backoff and heartbeats. */
async function withHandlerRetry(
  retry: HandlerRetryOptions | undefined,
  run: (attempt: number) => Promise<void>,
  context: {
    stop: AbortSignal
    heartbeat: () => Promise<void>
    log: Logger
    where: Record<string, unknown>
    metrics?: { metrics: MessagingMetrics; labels: { topic: string; group: string } }
  },
): Promise<Outcome> {
  const maxAttempts = retry?.maxAttempts ?? Number.POSITIVE_INFINITY
  let delay = retry?.initialDelayMs ?? 200
  const maxDelay = retry?.maxDelayMs ?? 10_000
  for (let attempt = 1; ; attempt++) {
    const stopTimer = context.metrics?.metrics.handlerSeconds.startTimer(context.metrics.labels)
    try {
      await run(attempt)
      stopTimer?.()
      return { kind: 'done' }
    } catch (err) {
      stopTimer?.()
      if (!isRetriable(err) || attempt >= maxAttempts) return { kind: 'dead-letter', err, attempts: attempt }
      context.metrics?.metrics.retries.inc(context.metrics.labels)
      context.log.warn(
        { ...context.where, attempt, delayMs: delay, code: errorCodeOf(err), err: (err as Error).message },
        'handler failed with a retriable error; retrying',
      )
      // Before the wait as well as after it: the gap between two heartbeats is then the longer
      // of one attempt and one wait, not their sum (an attempt that waited 5 s for a connection,
      // then a 5 s wait, would outlast a 10 s session and cost a rebalance at every retry).
      await context.heartbeat()
      try {
        await sleep(delay, undefined, { signal: context.stop })
      } catch {
        return { kind: 'stopped' }
      }
      await context.heartbeat()
      delay = Math.min(delay * 2, maxDelay)
    }
  }
}

function metricsFor<T>(
  options: ConsumerOptions<T>,
): { metrics: MessagingMetrics; labels: { topic: string; group: string } } | undefined {
  return options.metrics
    ? { metrics: options.metrics, labels: { topic: options.contract.topic, group: options.groupId } }
    : undefined
}

function countDone<T>(options: ConsumerOptions<T>, count: number): void {
  options.metrics?.handled.inc(
    { topic: options.contract.topic, group: options.groupId, outcome: 'done' },
    count,
  )
}

async function deadLetter<T>(
  options: ConsumerOptions<T>,
  record: RawRecord,
  err: unknown,
  attempts: number,
  log: Logger,
): Promise<void> {
  const { topic, partition, message } = record
  const key = deadLetterKey(options.groupId, record)
  if (options.deadLetterLedger?.has(key)) {
    log.debug({ partition, offset: message.offset }, 'message already dead-lettered; not again')
    return
  }
  const headers: Record<string, string> = {}
  for (const name of Object.keys(message.headers ?? {})) {
    const text = headerText(message.headers, name)
    if (text !== undefined) headers[name] = text
  }
  await options.deadLetter.publish(dlqV1, message.key, {
    original: {
      topic,
      partition,
      offset: message.offset,
      key: message.key === null ? null : message.key.toString('utf8'),
      timestamp: message.timestamp,
      headers,
      valueNull: message.value === null,
    },
    consumerGroup: options.groupId,
    error: {
      code: errorCodeOf(err),
      message: err instanceof Error ? err.message : String(err),
      retriable: isRetriable(err),
      attempts,
    },
    deadLetteredAt: new Date().toISOString(),
    value: message.value ?? Buffer.alloc(0),
  })
  // Remembering is best effort: the dead letter is published; a ledger that cannot write only
  // means the record may be dead-lettered once more after a restart.
  await options.deadLetterLedger
    ?.add(key)
    .catch((err: unknown) =>
      log.warn(
        { err: (err as Error).message, partition, offset: message.offset },
        'dead-letter ledger not written',
      ),
    )
  options.metrics?.handled.inc({ topic, group: options.groupId, outcome: 'dead-lettered' })
  log.warn(
    {
      partition,
      offset: message.offset,
      code: errorCodeOf(err),
      err: err instanceof Error ? err.message : String(err),
    },
    'message dead-lettered',
  )
}
