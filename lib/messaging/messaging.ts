import type { Kafka } from 'kafkajs'
import type { Registry } from 'prom-client'
import type { Logger } from '../log/index.ts'
import {
  type SubscribeBatchesOptions,
  type SubscribeOptions,
  type Subscription,
  subscribe,
  subscribeBatches,
} from './consumer.ts'
import { MessagingError } from './errors.ts'
import { type ConnectRetryOptions, connectWithRetry, createKafka } from './kafka.ts'
import { MessagingMetrics } from './metrics.ts'
import { MessageProducer } from './producer.ts'
import { ensureTopics, type TopicSpec } from './topics.ts'

export type OpenMessagingOptions = {
  /** `host:port` seed brokers (KAFKA_BROKERS). */
  brokers: string[]
  /** e.g. `tokenline-cloud`. */
  clientId: string
  logger: Logger
  /** Create the platform topics when missing (idempotent); default true. */
  bootstrapTopics?: boolean
  /** Topics to bootstrap; default all platform topics. */
  topics?: readonly TopicSpec[]
  /** Replication factor for topics it creates; default 1 (embedded broker). */
  replicationFactor?: number
  /** Idempotent producer; default false. */
  idempotent?: boolean
  connectRetry?: ConnectRetryOptions
  /** The service's Prometheus registry: adds the `tokenline_messages_*` series (see metrics.ts). */
  registry?: Registry
}

type Provided = 'kafka' | 'deadLetter' | 'brokers' | 'logger' | 'connectRetry' | 'metrics'
type ServiceSubscribeOptions<T> = Omit<SubscribeOptions<T>, Provided>
type ServiceSubscribeBatchesOptions<T> = Omit<SubscribeBatchesOptions<T>, Provided>

/** What a service holds: one client, one producer (also used for dead letters), its subscriptions. */
export type Messaging = {
  kafka: Kafka
  producer: MessageProducer
  /** Joins a consumer group on a contract's topic; dead letters go through `producer`. */
  subscribe<T>(options: ServiceSubscribeOptions<T>): Promise<Subscription>
  /** The same, handing the handler up to `maxBatch` messages of one partition at a time. */
  subscribeBatches<T>(options: ServiceSubscribeBatchesOptions<T>): Promise<Subscription>
  /** Producer connected and every subscription in its group: for `/readyz`. */
  isReady(): boolean
  /** Closes subscriptions (each finishes its message in hand), then the producer. */
  close(): Promise<void>
}

/**
 * Connects a service to Kafka: retries while the broker comes up (then `MESSAGING_BROKER_UNREACHABLE`),
 * bootstraps the topics and connects the producer.
 */
export async function openMessaging(options: OpenMessagingOptions): Promise<Messaging> {
  const { brokers, logger } = options
  const kafka = createKafka({ brokers, clientId: options.clientId, logger })
  if (options.bootstrapTopics ?? true) {
    const admin = kafka.admin()
    await connectWithRetry('admin', () => admin.connect(), { brokers, logger, retry: options.connectRetry })
    try {
      await ensureTopics(admin, {
        topics: options.topics,
        replicationFactor: options.replicationFactor,
        logger,
      })
    } finally {
      await admin.disconnect()
    }
  }
  const metrics = options.registry ? MessagingMetrics.for(options.registry) : undefined
  const producer = new MessageProducer(kafka, {
    metrics,
    logger,
    brokers,
    idempotent: options.idempotent,
    connectRetry: options.connectRetry,
  })
  await producer.connect()
  const subscriptions: Subscription[] = []
  let closed = false
  /**
   * A subscription that joined its group after `close()` (joining can take a session timeout
   * while a dead member holds the group) is closed at once instead of consuming unseen.
   */
  const keep = async (subscription: Subscription): Promise<Subscription> => {
    if (!closed) {
      subscriptions.push(subscription)
      return subscription
    }
    await subscription.close()
    throw new MessagingError(
      'MESSAGING_SUBSCRIBE_FAILED',
      'the messaging client was closed while this consumer was joining its group',
      false,
    )
  }
  const provided = {
    kafka,
    brokers,
    logger,
    deadLetter: producer,
    connectRetry: options.connectRetry,
    metrics,
  }
  return {
    kafka,
    producer,
    async subscribe(subscribeOptions) {
      return keep(await subscribe({ ...subscribeOptions, ...provided }))
    },
    async subscribeBatches(subscribeOptions) {
      return keep(await subscribeBatches({ ...subscribeOptions, ...provided }))
    },
    isReady: () => producer.isConnected && subscriptions.every((s) => s.isReady()),
    async close() {
      closed = true
      await Promise.all(subscriptions.map((s) => s.close()))
      await producer.disconnect()
    },
  }
}
