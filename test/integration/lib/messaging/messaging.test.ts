import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { ConfigResourceTypes, type Kafka } from 'kafkajs'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { TokenlineError } from '../../../../lib/errors/index.ts'
import { createLogger } from '../../../../lib/log/index.ts'
import {
  type DlqV1,
  defineJsonContract,
  dlqV1,
  type EscalationV1,
  ensureTopics,
  escalationV1,
  MessageProducer,
  MessagingError,
  MessagingMetrics,
  platformTopics,
  policyV1,
  resultV1,
  type Subscription,
  subscribe,
  subscribeBatches,
} from '../../../../lib/messaging/index.ts'
import { escalation, policy, result } from '../../../unit/lib/messaging/contracts/fixtures.ts'
import { type BrokerFixture, startBrokerFixture } from './broker-fixture.ts'
import type { TestBroker } from './embedded-broker.ts'

const logger = createLogger('messaging-test', 'silent')
let fixture: BrokerFixture
let broker: TestBroker
let kafka: Kafka
let producer: MessageProducer

beforeAll(async () => {
  fixture = await startBrokerFixture({ clientId: 'messaging-test', logger })
  ;({ broker, kafka, producer } = fixture)
})

afterAll(async () => {
  await fixture?.close()
})

/** Collects messages from `tokenline.dlq.v1` written for `groupId` about records keyed `key`. */
async function deadLetters(groupId: string, key: string, count: number): Promise<DlqV1[]> {
  const found: DlqV1[] = []
  const reader = await subscribe({
    kafka,
    brokers: broker.brokers,
    logger,
    groupId: `dlq-reader-${randomUUID()}`,
    contract: dlqV1,
    deadLetter: producer,
    handler: async (message) => {
      if (message.consumerGroup === groupId && message.original.key === key) found.push(message)
    },
  })
  try {
    for (let i = 0; i < 100 && found.length < count; i++) await sleep(100)
  } finally {
    await reader.close()
  }
  return found
}

async function committedOffset(groupId: string, topic: string): Promise<Map<number, string>> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return new Map((offsets?.partitions ?? []).map((p) => [p.partition, p.offset]))
  } finally {
    await admin.disconnect()
  }
}

/** The options every escalation subscription in these tests shares: this broker, dead letters via `producer`. */
function escalationGroup(groupId: string) {
  return { kafka, brokers: broker.brokers, logger, groupId, contract: escalationV1, deadLetter: producer }
}

async function until(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

describe('messaging adapter against the embedded broker over TCP', () => {
  it('creates the platform topics once; a second bootstrap creates nothing', async () => {
    const admin = kafka.admin()
    await admin.connect()
    try {
      expect(await ensureTopics(admin, { logger })).toEqual([])
      const metadata = await admin.fetchTopicMetadata({ topics: platformTopics.map((t) => t.topic) })
      const partitions = Object.fromEntries(metadata.topics.map((t) => [t.name, t.partitions.length]))
      expect(partitions).toEqual(Object.fromEntries(platformTopics.map((t) => [t.topic, t.partitions])))
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: policyV1.topic, configNames: ['cleanup.policy'] },
        ],
      })
      const cleanup = described.resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')
      expect(cleanup?.configValue).toBe('compact')
    } finally {
      await admin.disconnect()
    }
  })

  it('publishes an escalation with its image bytes and hands it to the group, then commits', async () => {
    const groupId = `cloud-${randomUUID()}`
    const lineId = `line-${randomUUID()}`
    const sent = escalation({ inspectionId: randomUUID(), lineId })
    const received: EscalationV1[] = []
    let where: { partition: number; offset: string } | undefined
    const subscription = await subscribe({
      ...escalationGroup(groupId),
      handler: async (message, context) => {
        if (message.lineId !== lineId) return
        received.push(message)
        where = { partition: context.partition, offset: context.offset }
        expect(context.key?.toString()).toBe(lineId)
      },
    })
    try {
      const ack = await producer.publish(escalationV1, lineId, sent)
      await until(() => received.length === 1, 'the escalation')
      expect(received[0]).toEqual({ ...sent, image: { ...sent.image, bytes: Buffer.from(sent.image.bytes) } })
      expect(where?.partition).toBe(ack.partition)
      await sleep(200)
    } finally {
      await subscription.close()
    }
    const committed = await committedOffset(groupId, escalationV1.topic)
    expect(committed.get(where!.partition)).toBe((BigInt(where!.offset) + 1n).toString())
  })

  it('dead-letters a record that breaks the contract with its original bytes, commits it and goes on', async () => {
    const groupId = `cloud-${randomUUID()}`
    const key = `line-${randomUUID()}`
    const junk = Buffer.from([0, 0, 0, 99, 1, 2, 3])
    const raw = kafka.producer()
    await raw.connect()
    await raw.send({
      topic: escalationV1.topic,
      acks: -1,
      messages: [{ key, value: junk, headers: { 'tokenline-schema': 'tokenline.escalation' } }],
    })
    await raw.disconnect()
    const good = escalation({ inspectionId: randomUUID(), lineId: key })
    await producer.publish(escalationV1, key, good)

    const handled: string[] = []
    const subscription = await subscribe({
      ...escalationGroup(groupId),
      handler: async (message) => {
        if (message.lineId === key) handled.push(message.inspectionId)
      },
    })
    try {
      await until(() => handled.length === 1, 'the valid message after the invalid one')
      expect(handled).toEqual([good.inspectionId])
    } finally {
      await subscription.close()
    }
    const [letter] = await deadLetters(groupId, key, 1)
    expect(letter?.error.code).toBe('MESSAGING_MESSAGE_INVALID')
    expect(letter?.error.retriable).toBe(false)
    expect(letter?.error.attempts).toBe(0)
    expect(letter?.original.topic).toBe(escalationV1.topic)
    expect(letter?.original.key).toBe(key)
    expect(Buffer.from(letter!.value)).toEqual(junk)
  })

  it('retries a retriable handler error with backoff, dead-letters a permanent one', async () => {
    const groupId = `cloud-${randomUUID()}`
    const lineId = `line-${randomUUID()}`
    const flaky = escalation({ inspectionId: randomUUID(), lineId })
    const broken = escalation({ inspectionId: randomUUID(), lineId })
    await producer.publish(escalationV1, lineId, flaky)
    await producer.publish(escalationV1, lineId, broken)
    const registry = new Registry()
    const metrics = new MessagingMetrics(registry)
    const attempts = new Map<string, number>()
    const done: string[] = []
    const subscription = await subscribe({
      ...escalationGroup(groupId),
      metrics,
      retry: { initialDelayMs: 20, maxDelayMs: 50 },
      handler: async (message, context) => {
        if (message.lineId !== lineId) return
        attempts.set(message.inspectionId, context.attempt)
        if (message.inspectionId === flaky.inspectionId && context.attempt < 3) {
          throw new TokenlineError('TEST_DATABASE_BUSY', 'database busy', true)
        }
        if (message.inspectionId === broken.inspectionId) {
          throw new TokenlineError('TEST_LABEL_UNKNOWN', 'label "x" is not in the model', false)
        }
        done.push(message.inspectionId)
      },
    })
    try {
      await until(() => attempts.has(broken.inspectionId), 'the second message')
    } finally {
      await subscription.close()
    }
    expect(done).toEqual([flaky.inspectionId])
    expect(attempts.get(flaky.inspectionId)).toBe(3)
    const text = await registry.metrics()
    const labels = `topic="tokenline.escalations.v1",group="${groupId}"`
    expect(text).toContain(`tokenline_messages_handler_retries_total{${labels}} 2`)
    // Earlier tests left an invalid record on the topic; this group dead-letters it too.
    const deadLettered = text.match(
      new RegExp(`tokenline_messages_handled_total\\{${labels},outcome="dead-lettered"\\} (\\d+)`),
    )
    expect(Number(deadLettered?.[1])).toBeGreaterThanOrEqual(1)
    const [letter] = await deadLetters(groupId, lineId, 1)
    expect(letter?.error).toEqual({
      code: 'TEST_LABEL_UNKNOWN',
      message: 'label "x" is not in the model',
      retriable: false,
      attempts: 1,
    })
    expect(escalationV1.decode(Buffer.from(letter!.value), letter!.original.headers).inspectionId).toBe(
      broken.inspectionId,
    )
  })

  it('close() cuts a retry short without committing, so the next member gets the message again', async () => {
    const groupId = `cloud-${randomUUID()}`
    const lineId = `line-${randomUUID()}`
    const message = escalation({ inspectionId: randomUUID(), lineId })
    await producer.publish(escalationV1, lineId, message)
    let tries = 0
    const first: Subscription = await subscribe({
      ...escalationGroup(groupId),
      retry: { initialDelayMs: 60_000 },
      handler: async (m) => {
        if (m.lineId !== lineId) return
        tries++
        throw new TokenlineError('TEST_DOWN', 'dependency down', true)
      },
    })
    await until(() => tries === 1, 'the first attempt')
    const closeStarted = Date.now()
    await first.close()
    expect(Date.now() - closeStarted).toBeLessThan(10_000)

    const redelivered: string[] = []
    const second = await subscribe({
      ...escalationGroup(groupId),
      handler: async (m) => {
        if (m.lineId === lineId) redelivered.push(m.inspectionId)
      },
    })
    try {
      await until(() => redelivered.length === 1, 'redelivery to the next member')
      expect(redelivered).toEqual([message.inspectionId])
    } finally {
      await second.close()
    }
  })

  it('hands micro-batches of one partition in order, dead-letters the items the handler names, commits the last', async () => {
    const groupId = `cloud-${randomUUID()}`
    const lineId = `line-${randomUUID()}`
    const sent = Array.from({ length: 7 }, () => escalation({ inspectionId: randomUUID(), lineId }))
    for (const message of sent) await producer.publish(escalationV1, lineId, message)
    const seen: string[] = []
    const sizes: number[] = []
    let lastOffset = '-1'
    let partition = -1
    const subscription = await subscribeBatches({
      ...escalationGroup(groupId),
      maxBatch: 3,
      handleBatch: async (items) => {
        const mine = items.filter((item) => item.message.lineId === lineId)
        if (mine.length === 0) return undefined
        sizes.push(items.length)
        seen.push(...mine.map((item) => item.message.inspectionId))
        lastOffset = mine[mine.length - 1]!.context.offset
        partition = mine[0]!.context.partition
        const bad = items.findIndex((item) => item.message.inspectionId === sent[4]!.inspectionId)
        return bad >= 0
          ? { failed: [{ index: bad, error: new TokenlineError('TEST_BAD_IMAGE', 'undecodable', false) }] }
          : undefined
      },
    })
    try {
      await until(() => seen.length === sent.length, 'all seven escalations')
      await sleep(300)
    } finally {
      await subscription.close()
    }
    expect(seen).toEqual(sent.map((m) => m.inspectionId))
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3)
    const committed = await committedOffset(groupId, escalationV1.topic)
    expect(committed.get(partition)).toBe((BigInt(lastOffset) + 1n).toString())
    const [letter] = await deadLetters(groupId, lineId, 1)
    expect(letter?.error.code).toBe('TEST_BAD_IMAGE')
    expect(escalationV1.decode(Buffer.from(letter!.value), letter!.original.headers).inspectionId).toBe(
      sent[4]!.inspectionId,
    )
  })

  it('an idempotent producer publishes policies keyed by line id to the compacted topic', async () => {
    const idempotent = new MessageProducer(kafka, { logger, brokers: broker.brokers, idempotent: true })
    await idempotent.connect()
    const lineId = `line-${randomUUID()}`
    try {
      const first = await idempotent.publish(policyV1, lineId, policy({ lineId, version: 1 }))
      const second = await idempotent.publish(policyV1, lineId, policy({ lineId, version: 2 }))
      expect(second.partition).toBe(first.partition)
      expect(BigInt(second.offset)).toBeGreaterThan(BigInt(first.offset))
    } finally {
      await idempotent.disconnect()
    }
    const versions: number[] = []
    const reader = await subscribe({
      kafka,
      brokers: broker.brokers,
      logger,
      groupId: `edge-${randomUUID()}`,
      contract: policyV1,
      deadLetter: producer,
      handler: async (message) => {
        if (message.lineId === lineId) versions.push(message.version)
      },
    })
    try {
      await until(() => versions.length === 2, 'both policy versions')
      expect(versions).toEqual([1, 2])
    } finally {
      await reader.close()
    }
  })

  it('rejects `joined` with MESSAGING_SUBSCRIBE_FAILED when the consumer crashes for good (a session timeout below the broker minimum of 6 s), instead of never settling', async () => {
    const subscription = await subscribeBatches({
      ...escalationGroup(`crash-${randomUUID()}`),
      sessionTimeoutMs: 1000,
      heartbeatIntervalMs: 300,
      handleBatch: async () => undefined,
    })
    try {
      const outcome = await Promise.race([
        subscription.joined.then(
          () => 'joined',
          (err: unknown) => err,
        ),
        sleep(30_000).then(() => 'still waiting after 30 s'),
      ])
      expect(outcome).toBeInstanceOf(MessagingError)
      expect((outcome as MessagingError).code).toBe('MESSAGING_SUBSCRIBE_FAILED')
      expect((outcome as MessagingError).retriable).toBe(false)
      expect(subscription.isReady()).toBe(false)
    } finally {
      await subscription.close()
    }
  })

  it('publishes a batch in one call, and nothing when one message breaks the contract', async () => {
    const lineId = `line-${randomUUID()}`
    const batch = Array.from({ length: 5 }, () => ({
      key: lineId,
      message: result({ inspectionId: randomUUID(), lineId }),
    }))
    const acks = await producer.publishBatch(resultV1, batch)
    expect(acks).toHaveLength(1)
    const broken = [...batch, { key: lineId, message: result({ lineId, latencyMs: -1 }) }]
    await expect(producer.publishBatch(resultV1, broken)).rejects.toMatchObject({
      code: 'MESSAGING_MESSAGE_INVALID',
    })
    const seen: string[] = []
    const reader = await subscribe({
      kafka,
      brokers: broker.brokers,
      logger,
      groupId: `gateway-${randomUUID()}`,
      contract: resultV1,
      deadLetter: producer,
      handler: async (message) => {
        if (message.lineId === lineId) seen.push(message.inspectionId)
      },
    })
    try {
      await until(() => seen.length >= 5, 'the batch')
      await sleep(300)
    } finally {
      await reader.close()
    }
    expect(seen).toEqual(batch.map((entry) => entry.message.inspectionId))
  })

  it('replayFromStart reads a compacted state topic whole at every join, whatever was committed', async () => {
    const lineId = `line-${randomUUID()}`
    await producer.publish(policyV1, lineId, policy({ lineId, version: 1 }))
    await producer.publish(policyV1, lineId, policy({ lineId, version: 2 }))
    const groupId = `edge-${randomUUID()}`
    const read = async (replayFromStart: boolean): Promise<number[]> => {
      const versions: number[] = []
      const reader = await subscribe({
        kafka,
        brokers: broker.brokers,
        logger,
        groupId,
        contract: policyV1,
        deadLetter: producer,
        replayFromStart,
        handler: async (message) => {
          if (message.lineId === lineId) versions.push(message.version)
        },
      })
      try {
        await reader.joined
        await sleep(1500)
      } finally {
        await reader.close()
      }
      return versions
    }
    expect(await read(false)).toEqual([1, 2])
    expect(await read(false)).toEqual([])
    expect(await read(true)).toEqual([1, 2])
  })

  it('an independent client (kcat) sees the schema headers and the image as raw bytes in the frame', async () => {
    const lineId = `line-${randomUUID()}`
    const sent = escalation({ inspectionId: randomUUID(), lineId })
    const ack = await producer.publish(escalationV1, lineId, sent)
    // Asynchronous: the broker runs in this process and must keep answering while kcat reads.
    const kcat = spawn('kcat', [
      '-b',
      broker.brokers[0]!,
      '-C',
      '-t',
      escalationV1.topic,
      '-p',
      String(ack.partition),
      '-o',
      ack.offset,
      '-c',
      '1',
      '-e',
      '-f',
      '%h\n%S\n%s',
    ])
    const chunks: Buffer[] = []
    let stderr = ''
    kcat.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
    kcat.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const status = await new Promise<number | null>((done) => kcat.once('exit', (code) => done(code)))
    expect(status, stderr).toBe(0)
    const stdout = Buffer.concat(chunks)
    const firstBreak = stdout.indexOf(10)
    const secondBreak = stdout.indexOf(10, firstBreak + 1)
    const headers = stdout.subarray(0, firstBreak).toString()
    const size = Number(stdout.subarray(firstBreak + 1, secondBreak).toString())
    const value = stdout.subarray(secondBreak + 1)
    expect(headers).toContain('tokenline-schema=tokenline.escalation')
    expect(headers).toContain('tokenline-schema-version=1')
    expect(headers).toContain('content-type=application/vnd.tokenline.frame.v1')
    expect(value.length).toBe(size)
    expect(value.subarray(value.length - sent.image.bytes.length)).toEqual(Buffer.from(sent.image.bytes))
  })

  it('fails to subscribe to a topic that does not exist with a typed error, and lets go of the connection', async () => {
    const missing = defineJsonContract({
      topic: `tokenline.missing-${randomUUID()}.v1`,
      schema: 'tokenline.missing',
      version: 1,
      payload: z.object({ id: z.string() }),
    })
    const err = await subscribe({
      kafka,
      brokers: broker.brokers,
      logger,
      groupId: `missing-${randomUUID()}`,
      contract: missing,
      deadLetter: producer,
      handler: async () => undefined,
    }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ code: 'MESSAGING_SUBSCRIBE_FAILED' })
    expect((err as Error).message).toContain(missing.topic)
  })

  it('refuses to publish a message that breaks its contract, before it reaches the broker', async () => {
    const bad = escalation({ policyVersion: -1 })
    await expect(producer.publish(escalationV1, 'line-a', bad)).rejects.toMatchObject({
      code: 'MESSAGING_MESSAGE_INVALID',
      retriable: false,
    })
  })
})
