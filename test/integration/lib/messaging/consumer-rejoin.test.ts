/**
 * A consumer whose member the broker has forgotten (session expired while a handler was busy,
 * or the broker restarted) meets UNKNOWN_MEMBER_ID when it commits. kafkajs wraps that in a
 * non-retriable error its runner does not recognise, and the consumer stopped for good (the
 * gateway's verdict ingest stayed dead after a broker kill -9 in the fault drill). The adapter
 * must rejoin instead, and the uncommitted message must come again.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log/index.ts'
import { escalationV1, subscribe } from '../../../../lib/messaging/index.ts'
import { escalation } from '../../../unit/lib/messaging/contracts/fixtures.ts'
import { type BrokerFixture, startBrokerFixture } from './broker-fixture.ts'

const logger = createLogger('consumer-rejoin-test', 'silent')
let fixture: BrokerFixture

beforeAll(async () => {
  fixture = await startBrokerFixture({
    clientId: 'consumer-rejoin-test',
    logger,
    broker: { env: { BROKER_GROUP_MIN_SESSION_TIMEOUT_MS: '1000' } },
  })
})

afterAll(async () => {
  await fixture?.close()
})

describe('a consumer the group coordinator has forgotten', () => {
  it('rejoins when its commit is refused (UNKNOWN_MEMBER_ID), gets the uncommitted message again and goes on consuming', async () => {
    const first = escalation({ inspectionId: '11111111-1111-4111-8111-111111111111', lineId: 'line-rejoin' })
    const second = escalation({ inspectionId: '22222222-2222-4222-8222-222222222222', lineId: 'line-rejoin' })
    const seen: string[] = []
    let stalled = false
    const { broker, kafka, producer } = fixture
    const subscription = await subscribe({
      kafka,
      brokers: broker.brokers,
      logger,
      groupId: 'rejoin-test',
      contract: escalationV1,
      deadLetter: producer,
      sessionTimeoutMs: 1000,
      heartbeatIntervalMs: 200,
      handler: async (message) => {
        seen.push(message.inspectionId)
        // No heartbeat for 3 session timeouts: the broker evicts the member, so the commit
        // that follows is refused with UNKNOWN_MEMBER_ID.
        if (!stalled) {
          stalled = true
          await sleep(3000)
        }
      },
    })
    try {
      await subscription.joined
      await producer.publish(escalationV1, first.lineId, first)
      const deadline = Date.now() + 30_000
      while (seen.filter((id) => id === first.inspectionId).length < 2 && Date.now() < deadline)
        await sleep(50)
      expect(seen.filter((id) => id === first.inspectionId).length).toBe(2)
      await producer.publish(escalationV1, second.lineId, second)
      while (!seen.includes(second.inspectionId) && Date.now() < deadline) await sleep(50)
      expect(seen).toContain(second.inspectionId)
      expect(subscription.isReady()).toBe(true)
    } finally {
      await subscription.close()
    }
  }, 60_000)
})
