import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { escalationV1, resultV1 } from '../../../../lib/messaging/index.ts'
import { freePort } from '../../lib/messaging/embedded-broker.ts'
import { killed, spawnBroker } from './broker-child.ts'
import { get, images, post, startTestEdge, type TestEdge, testPolicy, waitUntil } from './edge-fixture.ts'

const dirs: string[] = []
const children: ChildProcess[] = []
const edges: TestEdge[] = []
const tmp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(d)
  return d
}

afterAll(async () => {
  for (const e of edges) await e.close().catch(() => undefined)
  for (const c of children) await killed(c)
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** Every record of `topic` from the start, read by a fresh group: inspection id → copies. */
async function readTopic(brokers: string[], topic: string, expected: number): Promise<Map<string, number>> {
  const kafka = new Kafka({ brokers, clientId: 'edge-faults-reader', logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `reader-${Math.random()}`, maxWaitTimeInMs: 100 })
  const copies = new Map<string, number>()
  let total = 0
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message }) => {
      const id =
        topic === resultV1.topic
          ? resultV1.decode(message.value, message.headers).inspectionId
          : escalationV1.decode(message.value, message.headers).inspectionId
      copies.set(id, (copies.get(id) ?? 0) + 1)
      total++
    },
  })
  try {
    await waitUntil(() => total >= expected, 60_000, `${expected} records on ${topic}`)
    // Anything past the expected count would be a duplicate: give it a moment to show up.
    await new Promise((r) => setTimeout(r, 1500))
  } finally {
    await consumer.disconnect()
  }
  return copies
}

const everythingEscalates = testPolicy({
  version: 1,
  escalation: { thresholds: { minConfidence: 1 }, perClass: {}, alwaysEscalate: [], auditRate: 0 },
  deadlineMs: 600_000,
})

describe('edge faults', () => {
  it('decides with Kafka down from the last known policy, refuses past the outbox limit, drains once a broker appears', async () => {
    const port = await freePort()
    const brokers = [`127.0.0.1:${port}`]
    const dataDir = tmp('tokenline-edge-offline-')
    mkdirSync(join(dataDir, 'edge-edge-1'), { recursive: true })
    writeFileSync(join(dataDir, 'edge-edge-1', 'policies.json'), JSON.stringify([everythingEscalates]))
    const edge = await startTestEdge(brokers, { EDGE_OUTBOX_MAX_ROWS: '6' }, dataDir)
    edges.push(edge)
    const pngs = images(3, 7_100_000)
    const ids: string[] = []
    for (const png of pngs) {
      const res = await post(edge, png)
      expect(res.status).toBe(201)
      expect(res.body).toMatchObject({ status: 'pending', policyVersion: 1 })
      ids.push(res.body.inspectionId as string)
    }
    const health = await waitUntil(
      async () => {
        const h = (await get(`${edge.url}/v1/health`)).body as {
          kafka: string
          outbox: { rows: number }
          problems: string[]
        }
        return h.outbox.rows === 6 ? h : undefined
      },
      10_000,
      'the outbox depth to be measured',
    )
    expect(health.kafka).toBe('down')
    expect(health.problems[0]).toMatch(/outbox holds 6 unsent records/)
    const full = await post(edge, pngs[0]!)
    expect(full.status).toBe(503)
    expect(full.body).toMatchObject({ error: { code: 'EDGE_OUTBOX_FULL', retriable: true } })
    expect(full.headers.get('retry-after')).toBe('30')

    const child = await spawnBroker(port, tmp('tokenline-edge-offline-broker-'))
    children.push(child)
    const results = await readTopic(brokers, resultV1.topic, 3)
    const escalations = await readTopic(brokers, escalationV1.topic, 3)
    expect([...results.keys()].sort()).toEqual([...ids].sort())
    expect([...escalations.keys()].sort()).toEqual([...ids].sort())
    await waitUntil(
      async () =>
        ((await get(`${edge.url}/v1/health`)).body as { outbox: { rows: number } }).outbox.rows === 0 ||
        undefined,
      20_000,
      'the outbox to drain',
    )
    await edge.close()
    await killed(child)
  }, 120_000)

  it('loses and duplicates nothing when the broker is killed (-9) and restarted under a steady stream', async () => {
    const port = await freePort()
    const brokers = [`127.0.0.1:${port}`]
    const brokerDir = tmp('tokenline-edge-crash-broker-')
    let child = await spawnBroker(port, brokerDir)
    children.push(child)
    const dataDir = tmp('tokenline-edge-crash-')
    mkdirSync(join(dataDir, 'edge-edge-1'), { recursive: true })
    writeFileSync(join(dataDir, 'edge-edge-1', 'policies.json'), JSON.stringify([everythingEscalates]))
    const edge = await startTestEdge(brokers, { EDGE_RELAY_MAX_BACKOFF_MS: '500' }, dataDir)
    edges.push(edge)
    await edge.link.connected()
    const pngs = images(8, 7_200_000)
    const accepted: string[] = []
    for (let i = 0; i < 48; i++) {
      if (i === 16) await killed(child)
      if (i === 32) {
        child = await spawnBroker(port, brokerDir)
        children.push(child)
      }
      const res = await post(edge, pngs[i % pngs.length]!)
      expect(res.status).toBe(201)
      accepted.push(res.body.inspectionId as string)
      await new Promise((r) => setTimeout(r, 50))
    }
    const results = await readTopic(brokers, resultV1.topic, accepted.length)
    const escalations = await readTopic(brokers, escalationV1.topic, accepted.length)
    expect([...results.keys()].sort()).toEqual([...accepted].sort())
    expect([...escalations.keys()].sort()).toEqual([...accepted].sort())
    expect([...results.values()].filter((n) => n > 1)).toEqual([])
    expect([...escalations.values()].filter((n) => n > 1)).toEqual([])
    await edge.close()
  }, 180_000)

  it('answers 429 with Retry-After when the queue is full, and applies the past-deadline fallback', async () => {
    const dataDir = tmp('tokenline-edge-queue-')
    mkdirSync(join(dataDir, 'edge-edge-1'), { recursive: true })
    const policy = { ...everythingEscalates, deadlineMs: 300, pastDeadline: 'hold' as const }
    writeFileSync(join(dataDir, 'edge-edge-1', 'policies.json'), JSON.stringify([policy]))
    const edge = await startTestEdge(
      [`127.0.0.1:${await freePort()}`],
      { EDGE_CONCURRENCY: '1', EDGE_QUEUE_MAX: '1' },
      dataDir,
    )
    edges.push(edge)
    const png = images(1, 7_300_000)[0]!
    const answers = await Promise.all(Array.from({ length: 12 }, () => post(edge, png)))
    const refused = answers.filter((a) => a.status === 429)
    expect(refused.length).toBeGreaterThan(0)
    expect(refused[0]!.headers.get('retry-after')).toBe('1')
    expect(refused[0]!.body).toMatchObject({ error: { code: 'EDGE_QUEUE_FULL', retriable: true } })
    const done = answers.filter((a) => a.status === 201)
    expect(done.length + refused.length).toBe(12)
    const id = done[0]!.body.inspectionId as string
    const held = await waitUntil(
      async () => {
        const now = (await get(`${edge.url}/v1/inspections/${id}`)).body
        return now.status === 'held' ? now : undefined
      },
      10_000,
      'the deadline fallback',
    )
    expect(held).toMatchObject({ verdict: 'held', edge: { label: expect.any(String) } })
    await edge.close()
  }, 60_000)

  it('takes images from a watched folder: done/ with the answer, failed/ with the reason', async () => {
    const dataDir = tmp('tokenline-edge-watch-')
    const watch = join(dataDir, 'watch')
    mkdirSync(join(dataDir, 'edge-edge-1'), { recursive: true })
    writeFileSync(join(dataDir, 'edge-edge-1', 'policies.json'), JSON.stringify([testPolicy()]))
    const edge = await startTestEdge(
      [`127.0.0.1:${await freePort()}`],
      { EDGE_WATCH_DIR: watch, EDGE_WATCH_INTERVAL_MS: '100' },
      dataDir,
    )
    edges.push(edge)
    writeFileSync(join(watch, 'line-a', 'part-1.png'), images(1, 7_400_000)[0]!)
    writeFileSync(join(watch, 'line-a', 'part-2.png'), Buffer.from('not an image'))
    writeFileSync(join(watch, 'line-a', 'notes.txt'), 'hello')
    await waitUntil(
      async () =>
        (await readdir(join(watch, 'line-a'))).filter((f) => !['done', 'failed'].includes(f)).length === 0 ||
        undefined,
      15_000,
      'the folder to be taken',
    )
    const answer = JSON.parse(readFileSync(join(watch, 'line-a', 'done', 'part-1.png.json'), 'utf8')) as {
      status: string
      inspectionId: string
    }
    expect(answer.status).toBe('accepted')
    expect(existsSync(join(watch, 'line-a', 'done', 'part-1.png'))).toBe(true)
    expect(readFileSync(join(watch, 'line-a', 'failed', 'part-2.png.reason.txt'), 'utf8')).toMatch(
      /^EDGE_NOT_AN_IMAGE: /,
    )
    expect(readFileSync(join(watch, 'line-a', 'failed', 'notes.txt.reason.txt'), 'utf8')).toMatch(
      /^EDGE_UNSUPPORTED_TYPE: /,
    )
    expect((await get(`${edge.url}/v1/inspections/${answer.inspectionId}`)).body).toMatchObject({
      status: 'accepted',
    })
    await edge.close()
  }, 60_000)
})
