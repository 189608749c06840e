import type { Kafka } from 'kafkajs'
import type { Logger } from '../../../../lib/log/index.ts'
import {
  createKafka,
  ensureTopics,
  type KafkaOptions,
  MessageProducer,
  type ProducerOptions,
} from '../../../../lib/messaging/index.ts'
import { startTestBroker, type TestBroker, type TestBrokerOptions } from './embedded-broker.ts'

export type BrokerFixture = {
  broker: TestBroker
  kafka: Kafka
  /** Connected. */
  producer: MessageProducer
  /** Disconnects the producer, then closes the broker. */
  close: () => Promise<void>
}

export type BrokerFixtureOptions = {
  clientId: string
  logger: Logger
  broker?: TestBrokerOptions
  kafka?: Pick<KafkaOptions, 'connectionTimeoutMs'>
  producer?: Pick<ProducerOptions, 'retries'>
}

/**
 * A fresh embedded broker on a free port with the platform's topics, a kafkajs client on it and a
 * connected producer: the opening of most messaging integration tests.
 */
export async function startBrokerFixture(options: BrokerFixtureOptions): Promise<BrokerFixture> {
  const { clientId, logger } = options
  const broker = await startTestBroker(0, options.broker)
  try {
    const kafka = createKafka({ ...options.kafka, brokers: broker.brokers, clientId, logger })
    const admin = kafka.admin()
    await admin.connect()
    await ensureTopics(admin, { logger })
    await admin.disconnect()
    const producer = new MessageProducer(kafka, { ...options.producer, logger, brokers: broker.brokers })
    await producer.connect()
    return {
      broker,
      kafka,
      producer,
      close: async () => {
        await producer.disconnect()
        await broker.close()
      },
    }
  } catch (err) {
    await broker.close()
    throw err
  }
}
