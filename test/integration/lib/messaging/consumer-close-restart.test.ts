/**
 * Issue 14, seen in the full fault drill: the edge's link watchdog closed its subscriptions while
 * the broker was unreachable, at a moment when kafkajs was inside a consumer restart (joining the
 * group again). kafkajs' `stop()` cannot cancel that join; when the join gave up, kafkajs
 * scheduled yet another restart, so the closed consumer came back and joined the group once the
 * broker answered: a second member in the edge's policies and verdicts groups that owned half
 * the partitions and dropped every record it was given (its subscription was closed). A closed
 * subscription must stay closed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Kafka } from 'kafkajs'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log/index.ts'
import {
  createKafka,
  ensureTopics,
  escalationV1,
  MessageProducer,
  subscribe,
} from '../../../../lib/messaging/index.ts'
import { escalation } from '../../../unit/lib/messaging/contracts/fixtures.ts'
import { freePort, startTestBroker } from './embedded-broker.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'tokenline-close-restart-'))
let stopBroker: (() => Promise<void>) | undefined

afterAll(async () => {
  await stopBroker?.()
  rmSync(dataDir, { recursive: true, force: true })
})

/** The embedded broker on `port` over `dataDir`, so a restart finds the same log and address. */
async function brokerOn(port: number): Promise<string[]> {
  const broker = await startTestBroker(port, { dataDir })
  stopBroker = broker.close
  return broker.brokers
}

async function until(condition: () => boolean, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(50)
  }
}

async function members(kafka: Kafka, groupId: string): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const { groups } = await admin.describeGroups([groupId])
    return groups[0]?.members.length ?? 0
  } finally {
    await admin.disconnect()
  }
}

/**
 * A fresh broker on a free port, a subscription of `groupId` on it that has joined, and kafkajs'
 * own log lines ("Starting" at every start of the consumer), which tell where the consumer is.
 */
async function joinedSubscription(groupId: string, handler: (id: string) => void) {
  await stopBroker?.()
  const port = await freePort()
  const brokers = await brokerOn(port)
  const lines: { msg?: string; groupId?: string; at: number }[] = []
  const captured = pino(
    { level: 'info', base: { service: 'close-restart-test' } },
    { write: (line: string) => void lines.push({ ...JSON.parse(line), at: Date.now() }) },
  )
  const starts = () => lines.filter((l) => l.msg === 'Starting' && l.groupId === groupId)
  const kafka = createKafka({ brokers, clientId: 'close-restart-test', logger: captured })
  const quiet = createLogger('close-restart-test', 'silent')
  const admin = createKafka({ brokers, clientId: 'close-restart-admin', logger: quiet })
  const setup = admin.admin()
  await setup.connect()
  await ensureTopics(setup, { logger: quiet })
  await setup.disconnect()
  const producer = new MessageProducer(kafka, { logger: quiet, brokers })
  const subscription = await subscribe({
    kafka,
    brokers,
    logger: quiet,
    groupId,
    contract: escalationV1,
    deadLetter: producer,
    handler: async (message) => handler(message.inspectionId),
  })
  await subscription.joined
  return { port, brokers, lines, starts, admin, producer, subscription }
}

describe('a subscription closed while kafkajs restarts its consumer (broker unreachable)', () => {
  it('does not come back: no restart after close, no member in the group when the broker returns', async () => {
    const groupId = 'close-during-restart'
    const { port, lines, starts, admin, subscription } = await joinedSubscription(groupId, () => undefined)
    expect(starts()).toHaveLength(1)

    await stopBroker!()
    stopBroker = undefined
    // The fetch fails, kafkajs crashes the consumer and restarts it: the second "Starting" is a
    // join that retries for seconds against the absent broker. Close it there, as the edge's watchdog did.
    await until(() => starts().length >= 2, 'kafkajs to restart the consumer', 60_000)
    await subscription.close()
    const closedAt = Date.now()

    await brokerOn(port)
    // Long enough for a restart kafkajs would schedule when the join in flight gives up (its
    // retry time, ≈ 10–13 s in the drill) to join the group; a finished join shows at once.
    const watchUntil = Date.now() + 20_000
    let seen = 0
    while (Date.now() < watchUntil) {
      seen = Math.max(seen, await members(admin, groupId).catch(() => 0))
      if (seen > 0) break
      await sleep(500)
    }
    const restartedAfterClose = lines.filter(
      (l) =>
        l.at > closedAt && l.groupId === groupId && /^(Starting|Restarting the consumer)/.test(l.msg ?? ''),
    )
    expect(restartedAfterClose.map((l) => l.msg)).toEqual([])
    expect(seen).toBe(0)
  }, 120_000)

  it('without close, restarts by itself and consumes again once the broker is back', async () => {
    const groupId = 'restart-after-outage'
    const seen: string[] = []
    const { port, starts, producer, subscription } = await joinedSubscription(groupId, (id) => seen.push(id))
    try {
      await stopBroker!()
      stopBroker = undefined
      await until(() => starts().length >= 2, 'kafkajs to restart the consumer', 60_000)
      await brokerOn(port)
      const message = escalation({
        inspectionId: '33333333-3333-4333-8333-333333333333',
        lineId: 'line-restart',
      })
      await until(() => subscription.isReady(), 'the restarted consumer to join', 60_000)
      await producer.connect()
      await producer.publish(escalationV1, message.lineId, message)
      await until(() => seen.includes(message.inspectionId), 'the message after the outage', 30_000)
    } finally {
      await subscription.close()
      await producer.disconnect()
    }
  }, 150_000)
})
