/**
 * The one messaging path of tokenline: kafkajs against Apache Kafka or the embedded broker.
 * Contracts (`contracts/*.v1.ts`) define every topic's payload; producers and consumers go
 * through them so both sides validate the same schema.
 */

export {
  type BatchHandler,
  type BatchItem,
  type HandlerRetryOptions,
  type MessageContext,
  type MessageHandler,
  type SubscribeBatchesOptions,
  type SubscribeOptions,
  type Subscription,
  subscribe,
  subscribeBatches,
} from './consumer.ts'
export * from './contracts/index.ts'
export {
  type DeadLetterLedger,
  deadLetterKey,
  FileDeadLetterLedger,
  MemoryDeadLetterLedger,
} from './dead-letter-ledger.ts'
export {
  errorCodeOf,
  isRetriable,
  MessagingError,
  type MessagingErrorCode,
  messagingErrorCodes,
} from './errors.ts'
export { type ConnectRetryOptions, connectWithRetry, createKafka, type KafkaOptions } from './kafka.ts'
export { type Messaging, type OpenMessagingOptions, openMessaging } from './messaging.ts'
export { MessagingMetrics } from './metrics.ts'
export { MessageProducer, type ProducerOptions } from './producer.ts'
export { type EnsureTopicsOptions, ensureTopics, platformTopics, type TopicSpec } from './topics.ts'
