import { setTimeout as sleep } from 'node:timers/promises'
import type { Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs'
import type { Logger } from '../log/index.ts'
import type { MessageContract } from './contracts/contract.ts'
import { headerText } from './contracts/contract.ts'
import { dlqV1 } from './contracts/dlq.v1.ts'
import { errorCodeOf, isRetriable } from './errors.ts'
import { type ConnectRetryOptions, connectWithRetry } from './kafka.ts'
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

export type SubscribeOptions<T> = {
  kafka: Kafka
  /** Consumer group; instances with the same id share the topic's partitions. */
  groupId: string
  contract: MessageContract<T>
  handler: MessageHandler<T>
  /** Producer used to write to `tokenline.dlq.v1`. */
  deadLetter: MessageProducer
  logger: Logger
  /** Seed brokers, for error messages. */
  brokers: string[]
  /** Where a group without committed offsets starts: true = earliest (default), false = latest. */
  fromBeginning?: boolean
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
}

export type Subscription = {
  /** Resolves when this member first joins its group and owns its partitions. */
  readonly joined: Promise<void>
  /** True while the member is in the group and has not crashed. */
  isReady(): boolean
  /** Stops fetching, lets the message in hand finish (a retry wait is cut short and not committed), leaves the group. */
  close(): Promise<void>
}

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
  const log = options.logger.child({ topic: options.contract.topic, groupId: options.groupId })
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: options.heartbeatIntervalMs ?? 3000,
    maxWaitTimeInMs: options.maxWaitMs ?? 500,
    allowAutoTopicCreation: false,
  })
  const stop = new AbortController()
  let ready = false
  let resolveJoined!: () => void
  const joined = new Promise<void>((resolve) => {
    resolveJoined = resolve
  })
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    ready = true
    resolveJoined()
    log.info({ memberId: event.payload.memberId, assignment: event.payload.memberAssignment }, 'joined group')
  })
  consumer.on(consumer.events.CRASH, (event) => {
    ready = false
    log.error({ err: event.payload.error, restart: event.payload.restart }, 'consumer crashed')
  })
  consumer.on(consumer.events.STOP, () => {
    ready = false
  })

  await connectWithRetry(`consumer ${options.groupId}`, () => consumer.connect(), {
    brokers: options.brokers,
    logger: log,
    retry: options.connectRetry,
  })
  await consumer.subscribe({ topics: [options.contract.topic], fromBeginning: options.fromBeginning ?? true })
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: options.concurrency ?? 1,
    eachMessage: async ({ topic, partition, message, heartbeat }) => {
      if (stop.signal.aborted) return
      const outcome = await handleOne(options, { topic, partition, message, heartbeat }, stop.signal, log)
      if (outcome.kind === 'stopped') return
      if (outcome.kind === 'dead-letter') {
        await deadLetter(options, topic, partition, message, outcome.err, outcome.attempts)
        log.warn(
          {
            partition,
            offset: message.offset,
            code: errorCodeOf(outcome.err),
            err: (outcome.err as Error).message,
          },
          'message dead-lettered',
        )
      }
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }])
    },
  })

  let closing: Promise<void> | undefined
  return {
    joined,
    isReady: () => ready && !stop.signal.aborted,
    close() {
      closing ??= (async () => {
        stop.abort()
        await consumer.disconnect()
        ready = false
      })()
      return closing
    },
  }
}

async function handleOne<T>(
  options: SubscribeOptions<T>,
  record: { topic: string; partition: number; message: KafkaMessage; heartbeat: () => Promise<void> },
  signal: AbortSignal,
  log: Logger,
): Promise<Outcome> {
  const { topic, partition, message } = record
  let decoded: T
  try {
    decoded = options.contract.decode(message.value, message.headers)
  } catch (err) {
    return { kind: 'dead-letter', err, attempts: 0 }
  }
  const maxAttempts = options.retry?.maxAttempts ?? Number.POSITIVE_INFINITY
  let delay = options.retry?.initialDelayMs ?? 200
  const maxDelay = options.retry?.maxDelayMs ?? 10_000
  for (let attempt = 1; ; attempt++) {
    try {
      await options.handler(decoded, {
        topic,
        partition,
        offset: message.offset,
        key: message.key,
        timestamp: message.timestamp,
        headers: message.headers ?? {},
        attempt,
      })
      return { kind: 'done' }
    } catch (err) {
      if (!isRetriable(err) || attempt >= maxAttempts) return { kind: 'dead-letter', err, attempts: attempt }
      log.warn(
        {
          partition,
          offset: message.offset,
          attempt,
          delayMs: delay,
          code: errorCodeOf(err),
          err: (err as Error).message,
        },
        'handler failed with a retriable error; retrying',
      )
      try {
        await sleep(delay, undefined, { signal })
      } catch {
        return { kind: 'stopped' }
      }
      await record.heartbeat()
      delay = Math.min(delay * 2, maxDelay)
    }
  }
}

async function deadLetter<T>(
  options: SubscribeOptions<T>,
  topic: string,
  partition: number,
  message: KafkaMessage,
  err: unknown,
  attempts: number,
): Promise<void> {
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
}
