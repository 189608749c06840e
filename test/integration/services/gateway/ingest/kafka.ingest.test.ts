import type { Kafka } from 'kafkajs'
import pg from 'pg'
import { Registry } from 'prom-client'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type InspectionRow, openStorage, type Storage } from '../../../../../lib/db/index.ts'
import {
  escalationV1,
  type Messaging,
  type ResultV1,
  resultV1,
  verdictV1,
  verdictV2,
} from '../../../../../lib/messaging/index.ts'
import { GatewayEvents } from '../../../../../services/gateway/src/events/gateway-events.ts'
import { KafkaIngest } from '../../../../../services/gateway/src/ingest/kafka.ingest.ts'
import { adminUrl, createTestDatabase } from '../../../lib/db/postgres-test-database.ts'
import { startTestBroker, type TestBroker } from '../../../lib/messaging/embedded-broker.ts'
import {
  caughtUp,
  escalation,
  readDlq,
  result,
  silent,
  testKafka,
  testMessaging,
  verdictV1 as v1Verdict,
  verdictV2 as v2Verdict,
  waitUntil,
} from './ingest-fixture.ts'

const t0 = Date.parse('2026-11-05T10:00:00.000Z')
const at = (ms: number) => new Date(t0 + ms).toISOString()
const groups = ['results', 'verdicts', 'verdicts-v1', 'escalations'] as const
const topicOf = {
  results: resultV1.topic,
  verdicts: verdictV2.topic,
  'verdicts-v1': verdictV1.topic,
  escalations: escalationV1.topic,
} as const

describeIngest('pglite')
describeIngest('postgres')

function describeIngest(driver: 'pglite' | 'postgres'): void {
  describe(`gateway Kafka ingest with the embedded broker (${driver})`, () => {
    let broker: TestBroker
    let storage: Storage
    let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined
    let messaging: Messaging
    let kafka: Kafka
    let ingest: KafkaIngest
    const registry = new Registry()
    const events = new GatewayEvents()
    const decided: InspectionRow[] = []
    const stopEvents = new AbortController()
    let listening: Promise<void>

    // Everything the first tests publish, to publish again for redelivery.
    const published: {
      results: ResultV1[]
      v2: ReturnType<typeof v2Verdict>[]
      v1: ReturnType<typeof v1Verdict>[]
    } = {
      results: [],
      v2: [],
      v1: [],
    }
    const escalations: ReturnType<typeof escalation>[] = []

    const startIngest = async (groupPrefix: string) => {
      const started = new KafkaIngest({
        brokers: broker.brokers,
        storage,
        events,
        log: silent,
        registry,
        groupPrefix,
        retryMs: 200,
      })
      started.start()
      await started.joined()
      return started
    }
    const allCaughtUp = (prefix: string) =>
      waitUntil(
        async () => {
          for (const g of groups) if (!(await caughtUp(kafka, `${prefix}.${g}`, topicOf[g]))) return false
          return true
        },
        60_000,
        `consumer groups ${prefix}.* to catch up`,
      )
    const row = (id: string) => storage.inspections.get(id)
    const publishAll = async () => {
      await messaging.producer.publishBatch(
        resultV1,
        published.results.map((r) => ({ key: r.lineId, message: r })),
      )
      await messaging.producer.publishBatch(
        verdictV2,
        published.v2.map((v) => ({ key: v.lineId, message: v })),
      )
      await messaging.producer.publishBatch(
        verdictV1,
        published.v1.map((v) => ({ key: v.lineId, message: v })),
      )
      await messaging.producer.publishBatch(
        escalationV1,
        escalations.map((e) => ({ key: e.lineId, message: e })),
      )
    }
    const snapshot = async () => {
      const rows = await storage.inspections.list({}, { first: 1000 })
      return {
        rows: rows.rows.map(({ updatedAt: _, ...rest }) => rest).sort((a, b) => a.id.localeCompare(b.id)),
        // Summation order may differ between reads: compare costs to 1e-9.
        ledger: (await storage.costLedger.totals()).map((t) => ({
          ...t,
          cost: Math.round(t.cost * 1e9) / 1e9,
        })),
        images: (await storage.inspectionImages.getMany(rows.rows.map((r) => r.id))).size,
      }
    }

    beforeAll(async () => {
      broker = await startTestBroker()
      if (driver === 'postgres') {
        database = await createTestDatabase()
        storage = await openStorage({ driver: 'postgres', url: database.url }, { connectAttempts: 2 })
      } else {
        storage = await openStorage({ driver: 'pglite-memory' })
      }
      await storage.lines.upsert({ id: 'line-a', plantId: 'plant-1', name: 'Line A' })
      await storage.policies.append({
        lineId: 'line-a',
        author: 'test',
        reason: 'prices',
        body: { costPer1kTokens: { edge: 0.5, cloud: 0.02 } },
      })
      messaging = await testMessaging(broker.brokers)
      kafka = testKafka(broker.brokers)
      listening = (async () => {
        try {
          for await (const [decidedRow] of events.listen('inspectionDecided', stopEvents.signal)) {
            decided.push(decidedRow)
          }
        } catch {
          // aborted at the end
        }
      })()
      ingest = await startIngest('gw-a')
    }, 120_000)

    afterAll(async () => {
      // Each close is bounded and named: in 2 of 3 full-suite runs on a loaded 2-core machine one
      // of these never returned (the 120 s hook timeout failed the run) while the file alone always
      // closes in seconds. Not diagnosed yet: the warning says which step overran, and the rest
      // still closes.
      const bounded = async (what: string, close: () => Promise<unknown> | undefined) => {
        let timer: NodeJS.Timeout | undefined
        const overran = await Promise.race([
          Promise.resolve(close()).then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), 20_000)
          }),
        ])
        clearTimeout(timer)
        if (overran)
          console.warn(`kafka.ingest.test (${driver}) teardown: ${what} did not finish within 20 s`)
      }
      stopEvents.abort()
      await bounded('the event listener', () => listening)
      await bounded('KafkaIngest.close()', () => ingest?.close())
      await bounded('the test producer', () => messaging?.close())
      await bounded('the broker', () => broker?.close())
      await bounded('the storage', () => storage?.close())
      await bounded('dropping the database', () => database?.drop())
    }, 180_000)

    const A = result({ capturedAt: at(0), label: 'ok', confidence: 0.9 })
    const B = result({
      capturedAt: at(1000),
      label: 'ok',
      confidence: 0.55,
      ladder: [16, 64],
      disposition: 'escalated',
      reason: 'confidence',
    })
    const C = result({ capturedAt: at(2000), label: 'scratch', disposition: 'held', reason: 'confidence' })
    const D = result({ capturedAt: at(3000), plantId: 'plant-new', lineId: 'line-new' })
    const E = result({ capturedAt: at(4000), disposition: 'escalated', reason: 'audit' })
    const F = result({ capturedAt: at(10_000), disposition: 'escalated', reason: 'margin', label: 'pit' })

    it('stores results and verdicts: dispositions, final verdicts by rank, per-tier cost, thumbnails, events', async () => {
      published.results.push(A, B, C, D, E)
      published.v2.push(v2Verdict(B, 'pit', { afterMs: 500 }))
      published.v1.push(v1Verdict(E, 'ok', 700))
      escalations.push(
        escalation(B, {
          encoding: 'raw',
          width: 128,
          height: 128,
          channels: 1,
          colorSpace: 'b-w',
          bytes: new Uint8Array(128 * 128).fill(90),
        }),
        escalation(E, {
          encoding: 'png',
          width: 200,
          height: 100,
          channels: 3,
          colorSpace: 'srgb',
          bytes: await sharp({ create: { width: 200, height: 100, channels: 3, background: '#808080' } })
            .png()
            .toBuffer(),
        }),
      )
      await publishAll()
      await waitUntil(
        async () =>
          (await row(B.inspectionId))?.verdict === 'pit' &&
          (await row(E.inspectionId))?.verdict === 'ok' &&
          (await row(A.inspectionId)) !== undefined &&
          (await row(C.inspectionId)) !== undefined &&
          (await row(D.inspectionId)) !== undefined &&
          (await storage.inspectionImages.getMany([B.inspectionId, E.inspectionId])).size === 2,
        60_000,
        'results, verdicts and thumbnails in the database',
      )

      expect(await row(A.inspectionId)).toMatchObject({
        verdict: 'ok',
        decidedBy: 'edge',
        disposition: 'accepted',
        escalated: false,
        escalationReason: null,
        edgeConfidence: 0.9,
        ladder: [16],
        edgeTokens: 16,
        edgeCost: 0.008, // 16 tokens × 0.5 per 1k
        latencyMs: 20,
      })
      const b = await row(B.inspectionId)
      expect(b).toMatchObject({
        verdict: 'pit',
        decidedBy: 'cloud',
        disposition: 'escalated',
        escalated: true,
        escalationReason: 'confidence',
        edgeLabel: 'ok',
        ladder: [16, 64],
        edgeBudget: 64,
        edgeTokens: 80,
        edgeCost: 0.04,
        cloudLabel: 'pit',
        cloudTokens: 260, // 256 vision + 4 question
        cloudCost: 0.00512,
        cloudLate: false,
        latencyMs: 520, // captured → edge decision 20 ms → cloud 500 ms later
      })
      expect(b?.receivedAt.toISOString()).toBe(B.capturedAt)
      expect(await row(C.inspectionId)).toMatchObject({
        verdict: null,
        decidedBy: null,
        disposition: 'held',
        escalated: false,
        escalationReason: 'confidence',
      })
      expect(await storage.lines.get('line-new')).toMatchObject({ plantId: 'plant-new' })
      expect(await row(D.inspectionId)).toMatchObject({ verdict: 'ok', edgeCost: 0 }) // no policy: no price
      expect(await row(E.inspectionId)).toMatchObject({
        verdict: 'ok',
        decidedBy: 'cloud',
        escalationReason: 'audit',
        cloudTokens: 256,
        cloudCost: 0.00512, // v1 carries no cost: 256 vision tokens × 0.02 per 1k from the policy
        cloudLate: null,
      })
      expect(await storage.costLedger.totals({ lineId: 'line-a' })).toEqual([
        { tier: 'cloud', entries: 2, tokens: 516, cost: expect.closeTo(0.01024, 10) },
        { tier: 'edge', entries: 4, tokens: 128, cost: expect.closeTo(0.064, 10) },
      ])

      const images = await storage.inspectionImages.getMany([B.inspectionId, E.inspectionId])
      const thumbB = await sharp(images.get(B.inspectionId)!.bytes).metadata()
      const thumbE = await sharp(images.get(E.inspectionId)!.bytes).metadata()
      expect([thumbB.format, thumbB.width, thumbB.height]).toEqual(['png', 96, 96])
      expect([thumbE.format, thumbE.width, thumbE.height]).toEqual(['png', 96, 48])

      await waitUntil(() => decided.length >= 4, 10_000, 'inspectionDecided events')
      expect(decided.map((r) => r.id).sort()).toEqual(
        [A, B, D, E].map((r) => r.inspectionId).sort(), // not C (held), each once
      )
      expect(decided.find((r) => r.id === B.inspectionId)?.decidedBy).toBe('cloud')
      expect(await registry.getSingleMetricAsString('tokenline_gateway_ingest_records_total')).toMatch(
        /topic="tokenline\.results\.v1",outcome="stored"\} 5/,
      )
    }, 90_000)

    it('a verdict that arrives before its result ends as the same consistent row', async () => {
      const vF = v2Verdict(F, 'scratch', { afterMs: 800, late: true })
      published.v2.push(vF)
      await messaging.producer.publish(verdictV2, F.lineId, vF)
      const early = await waitUntil(() => row(F.inspectionId), 30_000, 'the verdict-only row')
      expect(early).toMatchObject({
        verdict: 'scratch',
        decidedBy: 'cloud',
        disposition: null,
        edgeLabel: null,
      })
      expect(early.receivedAt.toISOString()).toBe(F.decidedAt) // only the escalation time is known yet
      published.results.push(F)
      await messaging.producer.publish(resultV1, F.lineId, F)
      const settled = await waitUntil(
        async () =>
          (await row(F.inspectionId))?.disposition === 'escalated' ? row(F.inspectionId) : undefined,
        30_000,
        'the result merged into the verdict-only row',
      )
      expect(settled).toMatchObject({
        verdict: 'scratch',
        decidedBy: 'cloud',
        edgeLabel: 'pit',
        escalationReason: 'margin',
        cloudLate: true,
        latencyMs: 820,
      })
      expect(settled?.receivedAt.toISOString()).toBe(F.capturedAt)
      // Both ledger entries are stamped with the capture time (the hour lineStats counts them in).
      const exactly = {
        lineId: 'line-a',
        from: new Date(F.capturedAt),
        to: new Date(Date.parse(F.capturedAt) + 1),
      }
      expect((await storage.costLedger.totals(exactly)).map((t) => t.tier)).toEqual(['cloud', 'edge'])
      await waitUntil(() => decided.some((r) => r.id === F.inspectionId), 10_000, 'the event for F')
      expect(decided.filter((r) => r.id === F.inspectionId)).toHaveLength(1)
    }, 60_000)

    it('dead-letters garbage, contract failures, unknown versions and refused records; the rest still flows', async () => {
      const goodHeaders = resultV1.encode(A).headers
      const bad = result({ capturedAt: at(20_000), plantId: 'plant-other' }) // line-a is plant-1's
      const good = result({ capturedAt: at(21_000) })
      published.results.push(good)
      const brokenContract = {
        ...result({ capturedAt: at(22_000) }),
        disposition: 'escalated',
        escalationReason: null,
      }
      await messaging.producer.publishEncoded(resultV1, [
        { key: 'line-a', value: Buffer.from('{"inspectionId": '), headers: goodHeaders },
        { key: 'line-a', value: Buffer.from(JSON.stringify(brokenContract)), headers: goodHeaders },
        {
          key: 'line-a',
          value: resultV1.encode(A).value,
          headers: { ...goodHeaders, 'tokenline-schema-version': '7' },
        },
        { key: 'line-a', value: resultV1.encode(bad).value, headers: goodHeaders },
        { key: 'line-a', value: resultV1.encode(good).value, headers: goodHeaders },
      ])
      const lateFlag = { ...v2Verdict(good, 'ok'), late: true } // decided before its deadline
      await messaging.producer.publishEncoded(verdictV2, [
        {
          key: 'line-a',
          value: Buffer.from(JSON.stringify(lateFlag)),
          headers: verdictV2.encode(v2Verdict(A, 'ok')).headers,
        },
      ])
      await waitUntil(() => row(good.inspectionId), 30_000, 'the good record after the bad ones')
      const dead = await readDlq(kafka, 5)
      expect(dead.map((d) => d.error.code).sort()).toEqual([
        'INGEST_RECORD_REJECTED',
        'MESSAGING_MESSAGE_INVALID',
        'MESSAGING_MESSAGE_INVALID',
        'MESSAGING_MESSAGE_INVALID',
        'MESSAGING_MESSAGE_INVALID',
      ])
      const refused = dead.find((d) => d.error.code === 'INGEST_RECORD_REJECTED')!
      expect(refused).toMatchObject({ consumerGroup: 'gw-a.results', original: { topic: resultV1.topic } })
      expect(refused.error.message).toMatch(/belongs to plant plant-1/)
      expect(dead.find((d) => d.original.headers['tokenline-schema-version'] === '7')?.error.message).toMatch(
        /tokenline-schema-version: expected "1" but received "7"/,
      )
      expect(await row(bad.inspectionId)).toBeUndefined()
      expect(await row(brokenContract.inspectionId)).toBeUndefined()
      await allCaughtUp('gw-a') // dead letters are committed, not retried forever
    }, 60_000)

    it('redelivery, a restart and a fresh consumer group all leave the same rows and counts', async () => {
      await allCaughtUp('gw-a')
      const before = await snapshot()
      const events = decided.length
      expect(before.rows.length).toBe(7)

      await publishAll() // the same records again
      await allCaughtUp('gw-a')
      expect(await snapshot()).toEqual(before)

      await ingest.close() // restart: committed offsets, nothing is read twice
      ingest = await startIngest('gw-a')
      await messaging.producer.publishBatch(
        resultV1,
        published.results.slice(0, 2).map((r) => ({ key: r.lineId, message: r })),
      )
      await allCaughtUp('gw-a')
      expect(await snapshot()).toEqual(before)

      const fresh = await startIngest('gw-b') // reads every topic from the start: everything twice or thrice
      try {
        await allCaughtUp('gw-b')
      } finally {
        await fresh.close()
      }
      expect(await snapshot()).toEqual(before)
      expect(decided.length).toBe(events) // nothing was decided anew
    }, 120_000)

    it.runIf(driver === 'postgres')(
      'retries a database outage instead of dead-lettering, then stores the record',
      async () => {
        const name = new URL(database!.url).pathname.slice(1)
        const admin = new pg.Client({ connectionString: adminUrl })
        await admin.connect()
        const retries = async () =>
          (await registry.getSingleMetric('tokenline_messages_handler_retries_total')?.get())?.values.find(
            (v) => v.labels.topic === resultV1.topic,
          )?.value ?? 0
        const retriesBefore = await retries()
        const H = result({ capturedAt: at(30_000) })
        try {
          await admin.query(`alter database "${name}" allow_connections false`)
          await admin.query(
            'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
            [name],
          )
          await messaging.producer.publish(resultV1, H.lineId, H)
          await waitUntil(async () => (await retries()) > retriesBefore, 30_000, 'a retried write')
        } finally {
          await admin.query(`alter database "${name}" allow_connections true`)
          await admin.end()
        }
        await waitUntil(() => row(H.inspectionId), 60_000, 'the record after the outage')
        const dead = await readDlq(kafka, 5)
        expect(dead.some((d) => Buffer.from(d.value).toString('utf8').includes(H.inspectionId))).toBe(false)
      },
      120_000,
    )
  })
}
