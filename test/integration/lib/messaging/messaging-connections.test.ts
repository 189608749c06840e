/**
 * The messaging adapter's life with brokers that come late, go away or never answer, its kafkajs
 * log routing, and openMessaging end to end — each test with its own embedded broker (or none).
 * The record-level behaviour (dead letters, retries, batches, compacted topics) is in
 * messaging.test.ts.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log/index.ts'
import {
  type ConnectRetryOptions,
  createKafka,
  MessageProducer,
  MessagingError,
  openMessaging,
  platformTopics,
  resultV1,
  verdictV1,
} from '../../../../lib/messaging/index.ts'
import { result, verdict } from '../../../unit/lib/messaging/contracts/fixtures.ts'
import { startBrokerFixture } from './broker-fixture.ts'
import { freePort, startTestBroker } from './embedded-broker.ts'

const logger = createLogger('messaging-connections-test', 'silent')

/** A producer, not connected, for `127.0.0.1:port`, where no broker may be listening (yet). */
function producerOn(
  port: number,
  options: { clientId: string; connectionTimeoutMs: number; connectRetry: ConnectRetryOptions },
): MessageProducer {
  const { clientId, connectionTimeoutMs, connectRetry } = options
  const brokers = [`127.0.0.1:${port}`]
  const kafka = createKafka({ brokers, clientId, logger, connectionTimeoutMs })
  return new MessageProducer(kafka, { logger, brokers, connectRetry })
}

async function until(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

describe('messaging adapter and unreliable brokers', () => {
  it('waits for a broker that comes up late', async () => {
    const late = await freePort()
    const lateProducer = producerOn(late, {
      clientId: 'late',
      connectionTimeoutMs: 500,
      connectRetry: { attempts: 20, initialDelayMs: 200, maxDelayMs: 500 },
    })
    const connecting = lateProducer.connect()
    await sleep(1500)
    const lateBroker = await startTestBroker(late)
    try {
      await connecting
      expect(lateProducer.isConnected).toBe(true)
      await lateProducer.disconnect()
    } finally {
      await lateBroker.close()
    }
  })

  it('routes kafkajs log lines into pino with their namespace', async () => {
    const lines: Record<string, unknown>[] = []
    const capture = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) })
    const broker = await startTestBroker()
    const logged = createKafka({ brokers: broker.brokers, clientId: 'logged', logger: capture })
    const admin = logged.admin()
    await admin.connect()
    await admin.listTopics()
    await admin.disconnect()
    await broker.close()
    const fromKafkajs = lines.filter((line) => line.kafkajs === true)
    expect(fromKafkajs.length).toBeGreaterThan(0)
    expect(
      fromKafkajs.every((line) => typeof line.namespace === 'string' && typeof line.msg === 'string'),
    ).toBe(true)
  })

  it('a publish to a broker that went away fails with a typed retriable error', async () => {
    const doomed = await startBrokerFixture({
      clientId: 'doomed',
      logger,
      kafka: { connectionTimeoutMs: 300 },
      producer: { retries: 2 },
    })
    await doomed.broker.close()
    const err = await doomed.producer.publish(resultV1, 'line-a', result()).then(
      () => undefined,
      (e: unknown) => e,
    )
    await doomed.producer.disconnect()
    expect(err).toMatchObject({ code: 'MESSAGING_PUBLISH_FAILED', retriable: true })
    expect((err as Error).message).toContain('tokenline.results.v1')
  })

  it('gives up on a broker that never answers with a typed retriable error', async () => {
    const nobody = await freePort()
    const lonelyProducer = producerOn(nobody, {
      clientId: 'lonely',
      connectionTimeoutMs: 200,
      connectRetry: { attempts: 2, initialDelayMs: 50, maxDelayMs: 50 },
    })
    const err = await lonelyProducer.connect().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(MessagingError)
    expect(err).toMatchObject({ code: 'MESSAGING_BROKER_UNREACHABLE', retriable: true })
    expect((err as Error).message).toContain(`127.0.0.1:${nobody}`)
  })
})

describe('openMessaging', () => {
  it('bootstraps topics on a fresh broker, connects, subscribes, reports ready and closes', async () => {
    const fresh = await startTestBroker()
    try {
      const registry = new Registry()
      const messaging = await openMessaging({
        brokers: fresh.brokers,
        clientId: 'gateway-test',
        logger,
        registry,
      })
      const got: string[] = []
      const subscription = await messaging.subscribe({
        groupId: 'tokenline-gateway',
        contract: verdictV1,
        handler: async (message) => {
          got.push(message.inspectionId)
        },
      })
      await subscription.joined
      expect(messaging.isReady()).toBe(true)
      const sent = verdict({ inspectionId: randomUUID() })
      await messaging.producer.publish(verdictV1, sent.lineId, sent)
      await until(() => got.length === 1, 'the verdict')
      expect(got).toEqual([sent.inspectionId])
      await sleep(100)
      const metrics = await registry.metrics()
      expect(metrics).toContain('tokenline_messages_published_total{topic="tokenline.verdicts.v1"} 1')
      expect(metrics).toContain(
        'tokenline_messages_handled_total{topic="tokenline.verdicts.v1",group="tokenline-gateway",outcome="done"} 1',
      )
      expect(metrics).toContain(
        'tokenline_messages_handler_seconds_count{topic="tokenline.verdicts.v1",group="tokenline-gateway"} 1',
      )
      await messaging.close()
      expect(messaging.isReady()).toBe(false)
      const admin = messaging.kafka.admin()
      await admin.connect()
      const topics = await admin.listTopics()
      await admin.disconnect()
      expect(topics.sort()).toEqual(platformTopics.map((t) => t.topic).sort())
    } finally {
      await fresh.close()
    }
  })
})
