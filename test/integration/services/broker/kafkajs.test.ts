import { CompressionTypes, ConfigResourceTypes, type Consumer, Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { partitionFor, startTestBroker, type TestBroker, waitFor } from './broker-fixture.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

let tb: TestBroker
let kafka: Kafka

beforeAll(async () => {
  tb = await startTestBroker()
  kafka = new Kafka({
    brokers: [tb.broker.bootstrap],
    clientId: 'it',
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  })
})

afterAll(async () => {
  await tb.close()
})

type Seen = {
  partition: number
  offset: string
  key: string | null
  value: string
  headers: Record<string, string>
}

async function consumeAll(topic: string, groupId: string, expected: number): Promise<Seen[]> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, maxWaitTimeInMs: 200 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const seen: Seen[] = []
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v)
      seen.push({
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        value: message.value!.toString(),
        headers,
      })
    },
  })
  await waitFor(() => seen.length >= expected, 30_000, `${expected} messages on ${topic}`)
  await consumer.disconnect()
  return seen
}

describe('kafkajs against the broker', () => {
  it('places keyed messages by murmur2 and round-trips values, headers and gzip batches', async () => {
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'keyed', numPartitions: 4 }] })
    await admin.disconnect()
    const producer = kafka.producer()
    await producer.connect()
    const keys = Array.from({ length: 40 }, (_, i) => `line-${i}`)
    await producer.send({
      topic: 'keyed',
      acks: -1,
      messages: keys.map((k, i) => ({ key: k, value: `plain-${i}`, headers: { 'x-seq': String(i) } })),
    })
    await producer.send({
      topic: 'keyed',
      compression: CompressionTypes.GZIP,
      messages: keys.map((k, i) => ({ key: k, value: `gzip-${i}`.repeat(20), headers: { codec: 'gzip' } })),
    })
    await producer.disconnect()

    const seen = await consumeAll('keyed', 'keyed-reader', 80)
    expect(seen).toHaveLength(80)
    for (const s of seen) expect(s.partition).toBe(partitionFor(s.key!, 4))
    const plain = seen.filter((s) => s.value.startsWith('plain-'))
    expect(plain.map((s) => s.headers['x-seq']).sort((a, b) => Number(a) - Number(b))).toEqual(
      keys.map((_, i) => String(i)),
    )
    const gz = seen.filter((s) => s.headers.codec === 'gzip')
    expect(gz).toHaveLength(40)
    expect(gz.find((s) => s.key === 'line-7')!.value).toBe('gzip-7'.repeat(20))
    const perPartition = new Map<number, bigint[]>()
    for (const s of seen)
      perPartition.set(s.partition, [...(perPartition.get(s.partition) ?? []), BigInt(s.offset)])
    for (const offsets of perPartition.values()) expect(offsets).toEqual(offsets.map((_, i) => BigInt(i)))
  })

  it('rebalances a group as members join and leave, covering every partition exactly once', async () => {
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'grouped', numPartitions: 6 }] })
    const producer = kafka.producer()
    await producer.connect()
    const assignments = new Map<string, number[]>()
    const received: string[] = []
    const consumers: Consumer[] = []
    const startMember = async (name: string) => {
      const c = kafka.consumer({
        groupId: 'workers',
        sessionTimeout: 6000,
        heartbeatInterval: 300,
        rebalanceTimeout: 10_000,
        maxWaitTimeInMs: 200,
      })
      c.on(c.events.GROUP_JOIN, (e) => assignments.set(name, e.payload.memberAssignment.grouped ?? []))
      await c.connect()
      await c.subscribe({ topic: 'grouped', fromBeginning: true })
      await c.run({ eachMessage: async ({ message }) => void received.push(message.value!.toString()) })
      consumers.push(c)
      return c
    }
    const covered = (names: string[]) => {
      const all = names.flatMap((n) => assignments.get(n) ?? [])
      return all.length === 6 && new Set(all).size === 6
    }

    await startMember('a')
    await waitFor(() => covered(['a']), 20_000, 'member a to own all partitions')
    await startMember('b')
    await startMember('c')
    await waitFor(
      () => covered(['a', 'b', 'c']) && ['a', 'b', 'c'].every((n) => (assignments.get(n) ?? []).length === 2),
      30_000,
      'three-way split',
    )

    const described = await admin.describeGroups(['workers'])
    expect(described.groups[0]!.state).toBe('Stable')
    expect(described.groups[0]!.members).toHaveLength(3)

    await producer.send({
      topic: 'grouped',
      messages: Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: `m${i}` })),
    })
    await waitFor(() => new Set(received).size === 60, 30_000, 'all 60 messages')

    const leaving = consumers.shift()!
    assignments.delete('a')
    await leaving.disconnect()
    await waitFor(() => covered(['b', 'c']), 30_000, 'two members to take over all partitions')

    await producer.send({
      topic: 'grouped',
      messages: Array.from({ length: 30 }, (_, i) => ({ key: `n${i}`, value: `n${i}` })),
    })
    await waitFor(() => new Set(received).size === 90, 30_000, 'messages after the rebalance')

    const groups = await admin.listGroups()
    expect(groups.groups.map((g) => g.groupId)).toContain('workers')
    for (const c of consumers) await c.disconnect()
    const offsets = await admin.fetchOffsets({ groupId: 'workers', topics: ['grouped'] })
    const committed = offsets[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0)
    expect(committed).toBe(90)
    expect((await admin.describeGroups(['workers'])).groups[0]!.state).toBe('Empty')
    await producer.disconnect()
    await admin.disconnect()
  })

  it('administers topics: create with configs, list, offsets by time, delete', async () => {
    const admin = kafka.admin()
    await admin.connect()
    expect(
      await admin.createTopics({
        topics: [
          {
            topic: 'policies',
            numPartitions: 1,
            configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
          },
          { topic: 'scratch', numPartitions: 2 },
        ],
      }),
    ).toBe(true)
    expect(tb.broker.core.topics.topics.get('policies')!.settings.cleanupPolicy).toBe('compact')
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'policies' }],
    })
    const entries = described.resources[0]!.configEntries
    expect(entries.find((e) => e.configName === 'cleanup.policy')).toMatchObject({
      configValue: 'compact',
      isDefault: false,
    })
    expect(entries.find((e) => e.configName === 'retention.ms')).toMatchObject({ isDefault: true })
    await expect(admin.createTopics({ topics: [{ topic: 'scratch', numPartitions: 2 }] })).resolves.toBe(
      false,
    )
    await expect(
      admin.createTopics({ topics: [{ topic: 'bad', numPartitions: 1, replicationFactor: 3 }] }),
    ).rejects.toThrow()
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(['policies', 'scratch']))

    const producer = kafka.producer()
    await producer.connect()
    const before = Date.now()
    await producer.send({
      topic: 'scratch',
      messages: [
        { value: 'a', partition: 0 },
        { value: 'b', partition: 0 },
      ],
    })
    await new Promise((r) => setTimeout(r, 20))
    const mid = Date.now()
    await producer.send({ topic: 'scratch', messages: [{ value: 'c', partition: 0 }] })
    await producer.disconnect()
    const ends = await admin.fetchTopicOffsets('scratch')
    expect(ends.find((p) => p.partition === 0)).toMatchObject({ low: '0', high: '3' })
    const byTime = await admin.fetchTopicOffsetsByTimestamp('scratch', mid)
    expect(byTime.find((p) => p.partition === 0)!.offset).toBe('2')
    expect(
      (await admin.fetchTopicOffsetsByTimestamp('scratch', before - 1000)).find((p) => p.partition === 0)!
        .offset,
    ).toBe('0')

    await admin.deleteTopics({ topics: ['scratch'] })
    expect(await admin.listTopics()).not.toContain('scratch')
    await admin.disconnect()
  })

  it('serves an idempotent producer and refuses a transactional one with a clear error', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    const res = await producer.send({ topic: 'idem', acks: -1, messages: [{ value: '1' }, { value: '2' }] })
    expect(res[0]!.errorCode).toBe(0)
    await producer.disconnect()

    const tx = kafka.producer({ transactionalId: 'tx-1', idempotent: true, maxInFlightRequests: 1 })
    await tx.connect()
    const err = await tx.transaction().then(
      () => null,
      (e: Error) => e,
    )
    expect(err).not.toBeNull()
    // kafkajs reports the refused FindCoordinator(key_type=transaction) as a coordinator lookup failure.
    expect(err!.message).toMatch(/group coordinator/i)
    expect(err!.name).toBe('KafkaJSGroupCoordinatorNotFound')
    await tx.disconnect()
  })

  it('acknowledges pipelined sends with BROKER_FSYNC=always (one fsync per group of queued produces)', async () => {
    const synced = await startTestBroker({ BROKER_FSYNC: 'always' })
    try {
      const k = new Kafka({
        brokers: [synced.broker.bootstrap],
        clientId: 'fsync',
        logLevel: logLevel.NOTHING,
      })
      const producer = k.producer()
      await producer.connect()
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          producer.send({ topic: 'synced', acks: -1, messages: [{ key: `k${i}`, value: `v${i}` }] }),
        ),
      )
      await producer.disconnect()
      expect(results.every((r) => r[0]!.errorCode === 0)).toBe(true)
      const logs = synced.broker.core.topics.topics.get('synced')!.partitions
      expect(logs.reduce((sum, p) => sum + p.nextOffset, 0)).toBe(20)
    } finally {
      await synced.close()
    }
  })

  it('rejects a batch larger than max.message.bytes with MESSAGE_TOO_LARGE', async () => {
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        { topic: 'small', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '2048' }] },
      ],
    })
    await admin.disconnect()
    const producer = kafka.producer({ retry: { retries: 0 } })
    await producer.connect()
    await expect(
      producer.send({ topic: 'small', messages: [{ value: 'x'.repeat(10_000) }] }),
    ).rejects.toThrow(/too large|larger/i)
    await producer.send({ topic: 'small', messages: [{ value: 'fits' }] })
    await producer.disconnect()
  })
})
