import { type Kafka, Partitioners, type Producer } from 'kafkajs'
import type { Logger } from '../log/index.ts'
import type { MessageContract } from './contracts/contract.ts'
import { MessagingError } from './errors.ts'
import { type ConnectRetryOptions, connectWithRetry } from './kafka.ts'
import type { MessagingMetrics } from './metrics.ts'

export type ProducerOptions = {
  logger: Logger
  /** Seed brokers, for error messages. */
  brokers: string[]
  /**
   * Idempotent producer (InitProducerId + sequence numbers): a retried send is written once.
   * kafkajs then retries a send until the broker answers. Default false.
   */
  idempotent?: boolean
  /** Send retries before `MESSAGING_PUBLISH_FAILED` when not idempotent; default 5. */
  retries?: number
  /** How long the broker may wait for all in-sync replicas (ms); default 30000. */
  ackTimeoutMs?: number
  connectRetry?: ConnectRetryOptions
  /** Counts published and failed records when given. */
  metrics?: MessagingMetrics
}

/** Kafka error types a retry will not cure. */
const permanentKafkaErrors = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_RECORD',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'UNSUPPORTED_VERSION',
  'UNSUPPORTED_COMPRESSION_TYPE',
])

/**
 * Publishes contract-checked messages with acks = all (-1): a send resolves only once the
 * broker has the record on every in-sync replica. Keys use kafkajs' default (Java-compatible
 * murmur2) partitioner, so one key always lands on one partition.
 */
export class MessageProducer {
  private readonly producer: Producer
  private connected = false

  constructor(
    kafka: Kafka,
    private readonly options: ProducerOptions,
  ) {
    const idempotent = options.idempotent ?? false
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent,
      maxInFlightRequests: idempotent ? 1 : undefined,
      allowAutoTopicCreation: false,
      ...(idempotent ? {} : { retry: { retries: options.retries ?? 5, initialRetryTime: 300 } }),
    })
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = false
    })
  }

  /** True between a successful `connect()` and `disconnect()`. */
  get isConnected(): boolean {
    return this.connected
  }

  /** Connects, retrying with backoff; throws `MESSAGING_BROKER_UNREACHABLE` when no broker answers. */
  async connect(): Promise<void> {
    await connectWithRetry('producer', () => this.producer.connect(), {
      brokers: this.options.brokers,
      logger: this.options.logger,
      retry: this.options.connectRetry,
    })
    this.connected = true
  }

  /**
   * Validates `message` against `contract`, encodes it and sends it to `contract.topic`.
   * Throws `MESSAGING_MESSAGE_INVALID` for a message that breaks the contract (not retriable) and
   * `MESSAGING_PUBLISH_FAILED` when the broker did not acknowledge (retriable unless Kafka said
   * the record can never be accepted, e.g. MESSAGE_TOO_LARGE).
   */
  async publish<T>(
    contract: MessageContract<T>,
    key: string | Buffer | null,
    message: T,
    extraHeaders: Record<string, string> = {},
  ): Promise<{ partition: number; offset: string }> {
    const [ack] = await this.publishBatch(contract, [{ key, message, headers: extraHeaders }])
    return ack ?? { partition: -1, offset: '-1' }
  }

  /**
   * Validates every message first (nothing is sent if one breaks the contract), then sends them
   * in one request per partition leader, acks = all. Resolves with one `{ partition, offset }`
   * per partition written (the base offset of that partition's batch), in the broker's order.
   */
  async publishBatch<T>(
    contract: MessageContract<T>,
    entries: { key: string | Buffer | null; message: T; headers?: Record<string, string> }[],
  ): Promise<{ partition: number; offset: string }[]> {
    const messages = entries.map(({ key, message, headers }) => {
      const encoded = contract.encode(message)
      return { key, value: encoded.value, headers: { ...headers, ...encoded.headers } }
    })
    return this.send(contract.topic, messages)
  }

  private async send(
    topic: string,
    messages: { key: string | Buffer | null; value: Buffer; headers: Record<string, string> }[],
  ): Promise<{ partition: number; offset: string }[]> {
    if (messages.length === 0) return []
    const contract = { topic }
    try {
      const metadata = await this.producer.send({
        topic: contract.topic,
        acks: -1,
        timeout: this.options.ackTimeoutMs ?? 30_000,
        messages,
      })
      this.options.metrics?.published.inc({ topic: contract.topic }, messages.length)
      return metadata.map((meta) => ({
        partition: meta.partition,
        offset: meta.baseOffset ?? meta.offset ?? '-1',
      }))
    } catch (err) {
      this.options.metrics?.publishFailures.inc({ topic: contract.topic }, messages.length)
      const type = kafkaErrorType(err)
      throw new MessagingError(
        'MESSAGING_PUBLISH_FAILED',
        `publish of ${messages.length} message(s) to ${contract.topic} was not acknowledged: ${(err as Error).message}${type ? ` (${type})` : ''}`,
        !(type !== undefined && permanentKafkaErrors.has(type)),
        { cause: err },
      )
    }
  }

  /**
   * Sends records that `contract` already encoded (and so validated), e.g. rows of a
   * transactional outbox written through `contract.encode`: no second decode and validation on
   * the way out. Same acknowledgement and errors as `publishBatch`.
   */
  async publishEncoded(
    contract: Pick<MessageContract<unknown>, 'topic'>,
    records: { key: string | Buffer | null; value: Buffer; headers: Record<string, string> }[],
  ): Promise<{ partition: number; offset: string }[]> {
    return this.send(contract.topic, records)
  }

  /** Waits for sends in flight, then closes the connection. Safe to call twice. */
  async disconnect(): Promise<void> {
    await this.producer.disconnect()
    this.connected = false
  }
}

function kafkaErrorType(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const { type, originalError, cause } = e as { type?: unknown; originalError?: unknown; cause?: unknown }
    if (typeof type === 'string') return type
    e = originalError ?? cause
  }
  return undefined
}
