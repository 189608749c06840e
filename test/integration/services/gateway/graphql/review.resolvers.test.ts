import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type InspectionRow, openStorage, type Storage } from '../../../../../lib/db/index.ts'
import {
  escalationV1,
  type Messaging,
  type ResultV1,
  resultV1,
  verdictV2,
} from '../../../../../lib/messaging/index.ts'
import type { Principal } from '../../../../../services/gateway/src/auth/principal.ts'
import { GatewayEvents } from '../../../../../services/gateway/src/events/gateway-events.ts'
import type { RunningGateway } from '../../../../../services/gateway/src/gateway.ts'
import { createContext } from '../../../../../services/gateway/src/graphql/context.ts'
import {
  reviewMutations,
  reviewQueries,
} from '../../../../../services/gateway/src/graphql/review.resolvers.ts'
import { startTestBroker, type TestBroker } from '../../../lib/messaging/embedded-broker.ts'
import { noEdge, shippedReplay } from '../context-fixture.ts'
import {
  escalation,
  result,
  testMessaging,
  verdictV2 as v2Verdict,
  waitUntil,
} from '../ingest/ingest-fixture.ts'
import { graphql, startTestGateway } from './gateway-client.ts'

const at = (s: number) => new Date(Date.parse('2026-11-07T10:00:00.000Z') + s * 1000).toISOString()
const page = `totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } }`

/**
 * The gateway started with KAFKA_BROKERS ingests what the edges and the cloud publish; the review
 * queue and recordReview then work over GraphQL HTTP with the admin key.
 */
describe('review queue and recordReview over GraphQL, fed from Kafka (PGlite)', () => {
  let broker: TestBroker
  let storage: Storage
  let gateway: RunningGateway
  let messaging: Messaging
  let modelsDir: string

  const held = result({ capturedAt: at(0), label: 'scratch', disposition: 'held', reason: 'confidence' })
  const disagreed = result({
    capturedAt: at(60),
    label: 'ok',
    confidence: 0.55,
    ladder: [16, 64],
    disposition: 'escalated',
    reason: 'confidence',
  })
  const agreed = result({ capturedAt: at(120), label: 'pit', disposition: 'escalated', reason: 'margin' })
  const audited = result({ capturedAt: at(180), label: 'ok', disposition: 'escalated', reason: 'audit' })
  const accepted = result({ capturedAt: at(240) })
  const otherLine = result({ capturedAt: at(300), lineId: 'line-b', disposition: 'held', reason: 'entropy' })
  const queueOfLineA = [held, disagreed, audited].map((r) => r.inspectionId)

  beforeAll(async () => {
    modelsDir = mkdtempSync(join(tmpdir(), 'tokenline-models-'))
    mkdirSync(join(modelsDir, 'edge-test'))
    writeFileSync(
      join(modelsDir, 'edge-test', 'manifest.json'),
      JSON.stringify({
        schema: 'tokenline.model-manifest.v1',
        name: 'edge-test',
        role: 'edge',
        sha256: 'a'.repeat(64),
        labels: ['ok', 'pit', 'scratch'],
        patchSize: 8,
        channels: 1,
        colorSpace: 'b-w',
        normalisation: { mean: [0.5], std: [0.25] },
        budgets: [16, 64],
        metrics: {
          '16': { accuracy: 0.8, perClassRecall: { ok: 0.9, pit: 0.7, scratch: 0.6 }, samples: 300 },
        },
        measuredWith: 'test',
      }),
    )
    broker = await startTestBroker()
    storage = await openStorage({ driver: 'pglite-memory' })
    gateway = await startTestGateway(storage, {
      KAFKA_BROKERS: broker.brokers.join(','),
      TOKENLINE_MODELS_DIR: modelsDir,
    })
    await gateway.ingest!.joined()
    messaging = await testMessaging(broker.brokers)
    const results: ResultV1[] = [held, disagreed, agreed, audited, accepted, otherLine]
    await messaging.producer.publishBatch(
      resultV1,
      results.map((r) => ({ key: r.lineId, message: r })),
    )
    await messaging.producer.publishBatch(verdictV2, [
      { key: 'line-a', message: v2Verdict(disagreed, 'pit') },
      { key: 'line-a', message: v2Verdict(agreed, 'pit') },
      { key: 'line-a', message: v2Verdict(audited, 'ok') },
    ])
    await messaging.producer.publish(
      escalationV1,
      'line-a',
      escalation(disagreed, {
        encoding: 'raw',
        width: 64,
        height: 128,
        channels: 1,
        colorSpace: 'b-w',
        bytes: new Uint8Array(64 * 128).fill(200),
      }),
    )
    await waitUntil(
      async () => {
        const { data } = await graphql(
          gateway,
          '{ inspections(first: 10) { totalCount } a: inspection(id: "' +
            audited.inspectionId +
            '") { verdict } d: inspection(id: "' +
            disagreed.inspectionId +
            '") { verdict thumbnail } }',
        )
        return data?.inspections.totalCount === 6 && data.a?.verdict === 'ok' && data.d?.thumbnail != null
      },
      60_000,
      'the published records in GraphQL',
    )
  }, 120_000)

  afterAll(async () => {
    await messaging?.close()
    await gateway?.close()
    await broker?.close()
    await storage?.close()
    rmSync(modelsDir, { recursive: true, force: true })
  })

  it('shows what the edge and the cloud reported on each inspection, with a thumbnail', async () => {
    const { data, errors } = await graphql(
      gateway,
      `query($d: ID!, $h: ID!) {
        d: inspection(id: $d) { disposition escalationReason ladder edgeConfidence cloudLate thumbnail verdict decidedBy
          tokens { edge cloud } cost { edge cloud } }
        h: inspection(id: $h) { disposition escalationReason ladder verdict decidedBy thumbnail }
      }`,
      { d: disagreed.inspectionId, h: held.inspectionId },
    )
    expect(errors).toBeUndefined()
    expect(data?.d).toMatchObject({
      disposition: 'ESCALATED',
      escalationReason: 'confidence',
      ladder: [16, 64],
      edgeConfidence: 0.55,
      cloudLate: false,
      verdict: 'pit',
      decidedBy: 'CLOUD',
      tokens: { edge: 80, cloud: 260 },
      cost: { edge: 0, cloud: 0.00512 }, // no policy stored for line-a: the edge tier is unpriced
    })
    const [prefix, base64] = (data!.d.thumbnail as string).split(',')
    expect(prefix).toBe('data:image/png;base64')
    const meta = await sharp(Buffer.from(base64!, 'base64')).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 48, 96])
    expect(data?.h).toEqual({
      disposition: 'HELD',
      escalationReason: 'confidence',
      ladder: [16],
      verdict: null,
      decidedBy: null,
      thumbnail: null,
    })
  })

  it('lists held cases, disagreements and audits without a review, oldest first, page by page', async () => {
    const first = await graphql(gateway, `{ reviewQueue(lineId: "line-a", first: 2) { ${page} } }`)
    expect(first.errors).toBeUndefined()
    const q1 = first.data!.reviewQueue
    expect(q1.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(queueOfLineA.slice(0, 2))
    expect(q1).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } })
    const second = await graphql(
      gateway,
      `query($after: String) { reviewQueue(lineId: "line-a", first: 2, after: $after) { ${page} } }`,
      { after: q1.pageInfo.endCursor },
    )
    expect(second.data!.reviewQueue.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([
      audited.inspectionId,
    ])
    expect(second.data!.reviewQueue.pageInfo.hasNextPage).toBe(false)
    const everyLine = await graphql(gateway, `{ reviewQueue(plantId: "plant-1") { ${page} } }`)
    expect(everyLine.data!.reviewQueue.totalCount).toBe(4)
    expect(everyLine.data!.reviewQueue.edges.at(-1).node.id).toBe(otherLine.inspectionId)
    const tooMany = await graphql(gateway, '{ reviewQueue(first: 1001) { totalCount } }')
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('PAGE_TOO_LARGE')
  })

  it('records a review once per retry, settles the verdict and leaves the queue', async () => {
    const record = () =>
      graphql(
        gateway,
        `mutation($id: ID!) { recordReview(input: { inspectionId: $id, label: " scratch ", note: "deep mark" }) {
          id label reviewer note createdAt } }`,
        { id: held.inspectionId },
      )
    const first = await record()
    expect(first.errors).toBeUndefined()
    expect(first.data?.recordReview).toMatchObject({ label: 'scratch', note: 'deep mark' })
    expect(first.data?.recordReview.reviewer).toEqual(expect.any(String))
    const retried = await record()
    expect(retried.data?.recordReview).toEqual(first.data?.recordReview)
    const { data } = await graphql(
      gateway,
      `query($id: ID!) { inspection(id: $id) { verdict decidedBy latencyMs reviews { id label } }
        reviewQueue(lineId: "line-a") { totalCount } }`,
      { id: held.inspectionId },
    )
    expect(data?.inspection).toMatchObject({
      verdict: 'scratch',
      decidedBy: 'HUMAN',
      reviews: [{ id: first.data?.recordReview.id, label: 'scratch' }],
    })
    expect(data?.inspection.latencyMs).toBeGreaterThan(0)
    expect(data?.reviewQueue.totalCount).toBe(2)
  })

  it('refuses labels the line does not know, unknown inspections and bad ids with codes', async () => {
    const record = (id: string, label: string) =>
      graphql(
        gateway,
        `mutation($id: ID!, $label: String!) { recordReview(input: { inspectionId: $id, label: $label }) { id } }`,
        {
          id,
          label,
        },
      )
    const banana = await record(disagreed.inspectionId, 'banana')
    expect(banana.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } })
    expect(banana.errors?.[0]?.message).toMatch(/one of the line's model labels \(ok, pit, scratch\)/)
    const empty = await record(disagreed.inspectionId, '  ')
    expect(empty.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
    const unknown = await record('00000000-0000-4000-8000-000000000000', 'ok')
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
    const notUuid = await record('123', 'ok')
    expect(notUuid.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
    expect(await storage.reviews.listFor(disagreed.inspectionId)).toEqual([])
  })

  it('scopes to the key: another plant sees an empty queue and no inspection, a viewer may not review; a review emits inspectionDecided', async () => {
    const key = (role: Principal['role'], plants: string[]): Principal => ({
      keyId: 'k',
      name: `${role} of ${plants.join(',')}`,
      role,
      allPlants: false,
      plantIds: new Set(plants),
    })
    const call = (fn: unknown, args: unknown, principal: Principal, events = new GatewayEvents()) =>
      (fn as (p: unknown, a: unknown, c: unknown, i: unknown) => Promise<Record<string, unknown>>)(
        {},
        args,
        createContext(storage, 100, principal, events, noEdge(), shippedReplay()),
        {},
      )
    const elsewhere = await call(
      reviewQueries.reviewQueue,
      { first: 50, lineId: 'line-a' },
      key('admin', ['plant-z']),
    )
    expect((elsewhere.page as { rows: unknown[] }).rows).toEqual([])
    expect(await (elsewhere.count as () => Promise<number>)()).toBe(0)
    const input = { inspectionId: disagreed.inspectionId, label: 'pit' }
    await expect(
      call(reviewMutations.recordReview, { input }, key('operator', ['plant-z'])),
    ).rejects.toMatchObject({
      code: 'GATEWAY_NOT_FOUND',
    })
    await expect(
      call(reviewMutations.recordReview, { input }, key('viewer', ['plant-1'])),
    ).rejects.toMatchObject({
      code: 'GATEWAY_FORBIDDEN',
    })
    const events = new GatewayEvents()
    const stop = new AbortController()
    const seen: InspectionRow[] = []
    const listening = (async () => {
      try {
        for await (const [row] of events.listen('inspectionDecided', stop.signal)) seen.push(row)
      } catch {
        // aborted
      }
    })()
    const review = await call(reviewMutations.recordReview, { input }, key('operator', ['plant-1']), events)
    expect(review).toMatchObject({ label: 'pit', reviewer: 'operator of plant-1' })
    await waitUntil(() => seen.length === 1, 5000, 'the inspectionDecided event')
    expect(seen[0]).toMatchObject({ id: disagreed.inspectionId, verdict: 'pit', decidedBy: 'human' })
    stop.abort()
    await listening
  })
})
