/**
 * kafkajs heartbeats only between batches and where the handler's retry loop calls it. The loop
 * heartbeated after each back-off wait only, so the gap between two heartbeats was one failed
 * attempt plus one wait: with the gateway's 10 s session, an attempt that waited 5 s for a
 * database connection and a 5 s wait cost a rebalance at every retry of a database outage. It
 * heartbeats before the wait too, so the gap is the longer of the two.
 *
 * Scaled down here (the broker allows 1 s sessions): a 3 s session, attempts that fail after
 * 1.8 s and waits of 2 s. Sum 3.8 s (evicted at every retry); longer of the two 2 s (kept).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Kafka } from 'kafkajs'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TokenlineError } from '../../../../lib/errors/index.ts'
import { createLogger } from '../../../../lib/log/index.ts'
import {
  createKafka,
  ensureTopics,
  escalationV1,
  MessageProducer,
  subscribe,
} from '../../../../lib/messaging/index.ts'
import { startBroker } from '../../../../services/broker/src/broker.ts'
import { loadConfig } from '../../../../services/broker/src/config.ts'
import { escalation } from '../../../unit/lib/messaging/contracts/fixtures.ts'

type LogLine = Record<string, unknown>
const lines: LogLine[] = []
const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) })
const quiet = createLogger('consumer-retry-heartbeat-test', 'silent')
let close: () => Promise<void>
let brokers: string[]
let kafka: Kafka
let producer: MessageProducer
const dataDir = mkdtempSync(join(tmpdir(), 'tokenline-retry-heartbeat-'))

beforeAll(async () => {
  const broker = await startBroker(
    {
      ...loadConfig({
        TOKENLINE_DATA_DIR: dataDir,
        BROKER_PORT: '0',
        LOG_LEVEL: 'silent',
        BROKER_GROUP_MIN_SESSION_TIMEOUT_MS: '1000',
      }),
      httpPort: null,
    },
    createLogger('broker', 'silent'),
  )
  close = () => broker.close()
  brokers = [broker.bootstrap]
  kafka = createKafka({ brokers, clientId: 'consumer-retry-heartbeat-test', logger: quiet })
  const admin = kafka.admin()
  await admin.connect()
  await ensureTopics(admin, { logger: quiet })
  await admin.disconnect()
  producer = new MessageProducer(kafka, { logger: quiet, brokers })
  await producer.connect()
})

afterAll(async () => {
  await producer?.disconnect()
  await close?.()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('a handler retrying a retriable failure', () => {
  it('keeps its group membership when one attempt plus one wait outlasts the session but neither alone does', async () => {
    const message = escalation({ inspectionId: '33333333-3333-4333-8333-333333333333', lineId: 'line-hb' })
    const attempts: number[] = []
    const subscription = await subscribe({
      kafka,
      brokers,
      logger,
      groupId: 'retry-heartbeat-test',
      contract: escalationV1,
      deadLetter: producer,
      sessionTimeoutMs: 3000,
      heartbeatIntervalMs: 200,
      retry: { initialDelayMs: 2000, maxDelayMs: 2000 },
      handler: async (_, context) => {
        attempts.push(context.attempt)
        if (context.attempt >= 3) return
        await sleep(1800)
        throw new TokenlineError('TEST_DEPENDENCY_DOWN', 'the dependency is down', true)
      },
    })
    try {
      await subscription.joined
      await producer.publish(escalationV1, message.lineId, message)
      const deadline = Date.now() + 60_000
      while (!attempts.includes(3) && Date.now() < deadline) await sleep(50)
      expect(attempts).toEqual([1, 2, 3])
      expect(lines.filter((l) => l.msg === 'joined group')).toHaveLength(1)
    } finally {
      await subscription.close()
    }
  }, 90_000)
})
