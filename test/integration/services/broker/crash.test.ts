import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { waitFor } from './broker-fixture.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

const dataDir = mkdtempSync(join(tmpdir(), 'tokenline-broker-crash-'))
const children: ChildProcess[] = []

/** Starts `services/broker/src/main.ts` as its own process and resolves with its bound port. */
function spawnBroker(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/broker/src/main.ts'], {
    env: {
      ...process.env,
      BROKER_PORT: '0',
      BROKER_HTTP_PORT: '0',
      TOKENLINE_DATA_DIR: dataDir,
      BROKER_FSYNC: 'never',
      BROKER_GROUP_MIN_SESSION_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('broker child did not start within 30 s')), 30_000)
    child.once('exit', (code) => reject(new Error(`broker child exited with ${code} before listening`)))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('broker listening')) return
      clearTimeout(timer)
      resolve({ child, port: (JSON.parse(line) as { port: number }).port })
    })
  })
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', r))

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

const client = (port: number) =>
  new Kafka({
    brokers: [`127.0.0.1:${port}`],
    clientId: 'crash',
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  })

describe('broker crash (kill -9) and restart', () => {
  it('keeps every acknowledged message and the committed group offsets', async () => {
    const first = await spawnBroker()
    const kafka = client(first.port)
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'crash', numPartitions: 3 }] })

    const producer = kafka.producer({ retry: { retries: 0 } })
    await producer.connect()
    const send = (ids: number[]) =>
      producer.send({
        topic: 'crash',
        acks: -1,
        messages: ids.map((id) => ({ key: `k${id}`, value: String(id) })),
      })
    for (let b = 0; b < 10; b++) await send(Array.from({ length: 50 }, (_, i) => b * 50 + i))

    const committed = new Map<number, string>()
    const consumer = kafka.consumer({ groupId: 'resume', sessionTimeout: 6000, maxWaitTimeInMs: 100 })
    await consumer.connect()
    await consumer.subscribe({ topic: 'crash', fromBeginning: true })
    let seen = 0
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        seen++
        if (seen <= 300) committed.set(partition, (BigInt(message.offset) + 1n).toString())
      },
    })
    await waitFor(() => seen >= 300, 30_000, '300 consumed messages')
    await consumer.commitOffsets(
      [...committed].map(([partition, offset]) => ({ topic: 'crash', partition, offset })),
    )
    await consumer.disconnect()

    const acked = new Set<number>(Array.from({ length: 500 }, (_, i) => i))
    let next = 500
    let stop = false
    const loops = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const ids = Array.from({ length: 20 }, () => next++)
        try {
          await send(ids)
          for (const id of ids) acked.add(id)
        } catch {
          return
        }
      }
    })
    await waitFor(() => acked.size >= 3000, 60_000, '3000 acknowledged messages')
    first.child.kill('SIGKILL')
    stop = true
    await Promise.all(loops)
    await exited(first.child)
    await producer.disconnect().catch(() => undefined)
    await admin.disconnect().catch(() => undefined)

    const second = await spawnBroker()
    const kafka2 = client(second.port)
    const admin2 = kafka2.admin()
    await admin2.connect()
    const offsets = await admin2.fetchOffsets({ groupId: 'resume', topics: ['crash'] })
    for (const p of offsets[0]!.partitions) expect(p.offset).toBe(committed.get(p.partition) ?? '-1')

    const found = new Set<number>()
    const firstOffsetSeen = new Map<number, string>()
    const reader = kafka2.consumer({ groupId: 'audit', sessionTimeout: 6000, maxWaitTimeInMs: 100 })
    await reader.connect()
    await reader.subscribe({ topic: 'crash', fromBeginning: true })
    await reader.run({
      eachMessage: async ({ message }) => void found.add(Number(message.value!.toString())),
    })
    const resumed = kafka2.consumer({ groupId: 'resume', sessionTimeout: 6000, maxWaitTimeInMs: 100 })
    await resumed.connect()
    await resumed.subscribe({ topic: 'crash', fromBeginning: true })
    await resumed.run({
      eachMessage: async ({ partition, message }) => {
        if (!firstOffsetSeen.has(partition)) firstOffsetSeen.set(partition, message.offset)
      },
    })
    await waitFor(
      () => [...acked].every((id) => found.has(id)),
      60_000,
      'every acknowledged message after restart',
    )
    await waitFor(
      () => [...committed.keys()].every((p) => firstOffsetSeen.has(p)),
      30_000,
      'resumed group consumer',
    )
    for (const [partition, offset] of committed) expect(firstOffsetSeen.get(partition)).toBe(offset)
    expect(acked.size).toBeGreaterThanOrEqual(3000)
    await reader.disconnect()
    await resumed.disconnect()
    await admin2.disconnect()
    second.child.kill('SIGTERM')
    await exited(second.child)
  })
})
