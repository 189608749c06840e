import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type InspectionWrite, openStorage, type Storage } from '../../../../../lib/db/index.ts'
import type { Principal } from '../../../../../services/gateway/src/auth/principal.ts'
import { GatewayEvents } from '../../../../../services/gateway/src/events/gateway-events.ts'
import type { RunningGateway } from '../../../../../services/gateway/src/gateway.ts'
import { createContext } from '../../../../../services/gateway/src/graphql/context.ts'
import { statsQueries } from '../../../../../services/gateway/src/graphql/stats.resolvers.ts'
import { noEdge, shippedReplay } from '../context-fixture.ts'
import { graphql, startTestGateway } from './gateway-client.ts'

const day = '2026-11-06T'
const t = (hms: string) => new Date(`${day}${hms}Z`)
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms)

/** p50, p95, p99 within the latency histogram's resolution of the exact `percentile_cont` values. */
function expectPercentiles(
  got: { count: number; p50: number; p95: number; p99: number },
  count: number,
  exact: [number, number, number],
): void {
  expect(got.count).toBe(count)
  for (const [i, p] of (['p50', 'p95', 'p99'] as const).entries()) {
    expect(Math.abs(got[p] - exact[i]!), `${p} ${got[p]} against ${exact[i]}`).toBeLessThanOrEqual(
      exact[i]! * (2 ** (1 / 16) - 1),
    )
  }
}

/**
 * A hand-made day of line-s (plant-s), cap 1000 cloud tokens per hour; every edge run 16 tokens
 * at 0.008, every cloud run 256 tokens at 0.00512. Window [10:00, 13:00).
 *
 *  #  received      edge   disposition  reason      cloud  final              review
 *  1  10:05         ok     accepted                        ok edge (10 ms)
 *  2  10:10         ok     accepted                        ok edge (20 ms)
 *  3  10:20         ok     escalated    confidence  pit    pit cloud (600 ms)
 *  4  10:30         ok     escalated    audit       ok     ok cloud (800 ms)
 *  5  11:00         pit    escalated    audit       ok     ok cloud → pit     pit at 11:30
 *  6  11:15         scratch held        confidence         —
 *  7  11:20         pit    escalated    confidence         — (pending)
 *  8  11:40         ok     accepted                        ok edge → scratch  scratch at 12:00
 *  9  12:59:59.999  ok     accepted                        ok edge (90 ms)
 *  and outside the window or the line: 13:00 exactly, 09:59:59, another line at 10:30.
 * Edge latencies 10, 20, …, 90 ms for #1…#9; cloud latencies 500, 700, 900 ms for #3, #4, #5.
 */
describe('lineStats over GraphQL (PGlite)', () => {
  let storage: Storage
  let gateway: RunningGateway
  const ids: string[] = []

  const edge = (label: string, n: number) => ({
    label,
    probabilities: { ok: 0.5, pit: 0.3, scratch: 0.2 },
    budget: 16,
    tokens: 16,
    model: 'edge-test',
    latencyMs: n * 10,
    cost: 0.008,
  })
  const cloud = (label: string, latencyMs: number) => ({
    label,
    probabilities: { ok: 0.1, pit: 0.1, scratch: 0.8 },
    budget: 256,
    tokens: 256,
    model: 'cloud-test',
    latencyMs,
    cost: 0.00512,
  })
  const write = (
    n: number,
    receivedAt: Date,
    rest: Partial<InspectionWrite>,
    lineId = 'line-s',
  ): InspectionWrite => {
    const id = randomUUID()
    ids[n] = id
    return { id, lineId, plantId: 'plant-s', receivedAt, policyVersion: 1, ...rest }
  }
  const accepted = (n: number, at: Date, label: string, lineId = 'line-s') =>
    write(
      n,
      at,
      {
        edge: edge(label, n),
        disposition: 'accepted',
        final: { verdict: label, decidedBy: 'edge', decidedAt: plus(at, n * 10), latencyMs: n * 10 },
      },
      lineId,
    )
  const escalated = (
    n: number,
    at: Date,
    label: string,
    reason: string,
    verdict?: [string, number, number],
  ) =>
    write(n, at, {
      edge: edge(label, n),
      disposition: 'escalated',
      escalated: true,
      escalationReason: reason,
      ...(verdict
        ? {
            cloud: cloud(verdict[0], verdict[1]),
            final: { verdict: verdict[0], decidedBy: 'cloud' as const, decidedAt: plus(at, verdict[2]) },
          }
        : {}),
    })

  beforeAll(async () => {
    storage = await openStorage({ driver: 'pglite-memory' })
    await storage.lines.upsert({ id: 'line-s', plantId: 'plant-s', name: 'S' })
    await storage.lines.upsert({ id: 'line-t', plantId: 'plant-s', name: 'T' })
    await storage.policies.append({
      lineId: 'line-s',
      author: 'test',
      reason: 'cap',
      body: { cloudTokenCapPerHour: 1000, costPer1kTokens: { edge: 0.5, cloud: 0.02 } },
    })
    const writes = [
      accepted(1, t('10:05:00'), 'ok'),
      accepted(2, t('10:10:00'), 'ok'),
      escalated(3, t('10:20:00'), 'ok', 'confidence', ['pit', 500, 600]),
      escalated(4, t('10:30:00'), 'ok', 'audit', ['ok', 700, 800]),
      escalated(5, t('11:00:00'), 'pit', 'audit', ['ok', 900, 1000]),
      write(6, t('11:15:00'), {
        edge: edge('scratch', 6),
        disposition: 'held',
        escalationReason: 'confidence',
      }),
      escalated(7, t('11:20:00'), 'pit', 'confidence'),
      accepted(8, t('11:40:00'), 'ok'),
      accepted(9, t('12:59:59.999'), 'ok'),
      accepted(10, t('13:00:00'), 'ok'),
      accepted(11, t('09:59:59'), 'ok'),
      accepted(12, t('10:30:00'), 'ok', 'line-t'),
    ]
    for (const w of writes) await storage.inspections.upsert(w)
    const review = (n: number, label: string, at: Date) =>
      storage.reviews.record({
        id: randomUUID(),
        inspectionId: ids[n]!,
        label,
        reviewer: 'ana',
        createdAt: at,
      })
    await review(5, 'pit', t('11:30:00'))
    await review(8, 'scratch', t('12:00:00'))
    gateway = await startTestGateway(storage)
  })

  afterAll(async () => {
    await gateway?.close()
    await storage?.close()
  })

  const fields = `lineId from to inspections byVerdict { verdict count } byDecidedBy { decidedBy count }
    pending held escalated escalationRate audited
    escalatedAgreement { agree total rate } auditedAgreement { agree total rate }
    estimatedEdgeAccuracy { value low high samples } reviewedAccuracy { value low high samples }
    tokens { edge cloud edgeCost cloudCost cloudTokensPerHour costPerHour peakCapUsed }
    hourly { hour inspections escalated edgeTokens cloudTokens cost } cloudTokenCapPerHour
    latency { count p50 p95 p99 } edgeLatency { count p50 p95 p99 } cloudLatency { count p50 p95 p99 }`

  it('computes every figure of the hand-made window', async () => {
    const { data, errors } = await graphql(
      gateway,
      `query($from: DateTime, $to: DateTime) { lineStats(lineId: "line-s", from: $from, to: $to) { ${fields} } }`,
      { from: `${day}10:00:00Z`, to: `${day}13:00:00Z` },
    )
    expect(errors).toBeUndefined()
    const s = data!.lineStats
    expect(s).toMatchObject({
      lineId: 'line-s',
      from: '2026-11-06T10:00:00.000Z',
      to: '2026-11-06T13:00:00.000Z',
      inspections: 9,
      byVerdict: [
        { verdict: 'ok', count: 4 }, // #1 #2 #4 #9
        { verdict: 'pit', count: 2 }, // #3, #5 (review)
        { verdict: 'scratch', count: 1 }, // #8 (review)
      ],
      byDecidedBy: [
        { decidedBy: 'EDGE', count: 3 },
        { decidedBy: 'CLOUD', count: 2 },
        { decidedBy: 'HUMAN', count: 2 },
      ],
      pending: 1, // #7
      held: 1, // #6
      escalated: 4, // #3 #4 #5 #7
      audited: 2, // #4 #5
      escalatedAgreement: { agree: 1, total: 3, rate: 1 / 3 }, // #4 agrees; #3, #5 do not; #7 has no cloud label
      auditedAgreement: { agree: 1, total: 2, rate: 0.5 },
      cloudTokenCapPerHour: 1000,
    })
    expect(s.escalationRate).toBeCloseTo(4 / 9, 12)
    // Edge vs reference: #4 cloud ok = ok ✓, #5 review pit = pit ✓, #8 review scratch ≠ ok ✗ → 2/3.
    expect(s.estimatedEdgeAccuracy).toEqual({
      value: expect.closeTo(2 / 3, 12),
      low: expect.closeTo(0.2077, 4),
      high: expect.closeTo(0.9385, 4),
      samples: 3,
    })
    // Verdict before the review vs the review: #5 cloud ok ≠ pit, #8 edge ok ≠ scratch → 0/2.
    expect(s.reviewedAccuracy).toEqual({ value: 0, low: 0, high: expect.closeTo(0.6576, 4), samples: 2 })
    expect(s.tokens).toEqual({
      edge: 144, // 9 × 16
      cloud: 768, // 3 × 256
      edgeCost: expect.closeTo(0.072, 12),
      cloudCost: expect.closeTo(0.01536, 12),
      cloudTokensPerHour: 256, // 768 / 3 h
      costPerHour: expect.closeTo(0.08736 / 3, 12),
      peakCapUsed: 0.512, // 10:00 spent 512 of 1000
    })
    expect(s.hourly).toEqual([
      {
        hour: '2026-11-06T10:00:00.000Z',
        inspections: 4,
        escalated: 2,
        edgeTokens: 64,
        cloudTokens: 512,
        cost: expect.closeTo(0.04224, 12),
      },
      {
        hour: '2026-11-06T11:00:00.000Z',
        inspections: 4,
        escalated: 2,
        edgeTokens: 64,
        cloudTokens: 256,
        cost: expect.closeTo(0.03712, 12),
      },
      {
        hour: '2026-11-06T12:00:00.000Z',
        inspections: 1,
        escalated: 0,
        edgeTokens: 16,
        cloudTokens: 0,
        cost: expect.closeTo(0.008, 12),
      },
    ])
    // Final latencies sorted: 10, 20, 90, 600, 800, 1 200 000 (#8 review), 1 800 000 (#5 review);
    // percentile_cont interpolates at (n − 1)·p: p95 at 5.7, p99 at 5.94. The gateway reads them
    // from the rollups' histogram: within its resolution (±4.4 %, lib/db/latency-histogram.ts).
    expectPercentiles(s.latency, 7, [600, 1_620_000, 1_764_000])
    // Edge: 10 … 90 → p50 50, p95 at 7.6 → 86, p99 at 7.92 → 89.2. Cloud: 500, 700, 900.
    expectPercentiles(s.edgeLatency, 9, [50, 86, 89.2])
    expectPercentiles(s.cloudLatency, 3, [700, 880, 896])
  })

  it('defaults to the last 24 hours and answers an empty window without rates', async () => {
    const { data, errors } = await graphql(
      gateway,
      '{ lineStats(lineId: "line-s") { from to inspections escalationRate estimatedEdgeAccuracy { value } latency { count p50 } hourly { hour } tokens { peakCapUsed } } }',
    )
    expect(errors).toBeUndefined()
    const s = data!.lineStats
    expect(Date.parse(s.to) - Date.parse(s.from)).toBe(24 * 3600_000)
    expect(s).toMatchObject({
      inspections: 0,
      escalationRate: null,
      estimatedEdgeAccuracy: null,
      latency: { count: 0, p50: null },
      hourly: [],
      tokens: { peakCapUsed: 0 },
    })
  })

  it('refuses a window over 31 days, an empty one and an unknown line with codes', async () => {
    const ask = (args: string) => graphql(gateway, `{ lineStats(${args}) { inspections } }`)
    const long = await ask('lineId: "line-s", from: "2026-10-01T00:00:00Z", to: "2026-11-01T00:00:01Z"')
    expect(long.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } })
    expect(long.errors?.[0]?.message).toMatch(/at most 31 days/)
    const backwards = await ask('lineId: "line-s", from: "2026-11-02T00:00:00Z", to: "2026-11-01T00:00:00Z"')
    expect(backwards.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } })
    const missing = await ask('lineId: "nope"')
    expect(missing.errors?.[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } })
    const ok = await ask('lineId: "line-s", from: "2026-10-01T00:00:00Z", to: "2026-11-01T00:00:00Z"')
    expect(ok.errors).toBeUndefined()
  })

  it("answers another plant's line exactly like a missing one", async () => {
    const otherPlant: Principal = {
      keyId: 'k',
      name: 'viewer of plant-z',
      role: 'viewer',
      allPlants: false,
      plantIds: new Set(['plant-z']),
    }
    const ctx = createContext(storage, 100, otherPlant, new GatewayEvents(), noEdge(), shippedReplay())
    const ask = (lineId: string) =>
      (statsQueries.lineStats as (p: unknown, a: unknown, c: unknown, i: unknown) => Promise<unknown>)(
        {},
        { lineId },
        ctx,
        {},
      )
    const hidden = await ask('line-s').catch((err: unknown) => err)
    const missing = await ask('nope').catch((err: unknown) => err)
    expect(hidden).toMatchObject({ code: 'GATEWAY_NOT_FOUND', message: 'no line "line-s"' })
    expect(missing).toMatchObject({ code: 'GATEWAY_NOT_FOUND', message: 'no line "nope"' })
  })
})
