import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database, DriverHandle } from '../../../../lib/db/database.ts'
import { openPglite } from '../../../../lib/db/drivers/pglite.driver.ts'
import { openPostgres } from '../../../../lib/db/drivers/postgres.driver.ts'
import { bucketBounds } from '../../../../lib/db/latency-histogram.ts'
import { migrationsFolder } from '../../../../lib/db/migrations-folder.ts'
import {
  InspectionStatsRepository,
  type LineWindowStats,
  type PercentileTriple,
} from '../../../../lib/db/repositories/inspection-stats.repository.ts'
import {
  InspectionsRepository,
  type InspectionWrite,
} from '../../../../lib/db/repositories/inspections.repository.ts'
import { ReviewsRepository, type ReviewWrite } from '../../../../lib/db/repositories/reviews.repository.ts'
import * as schema from '../../../../lib/db/schema.ts'
import { createTestDatabase } from './postgres-test-database.ts'

/** Deterministic PRNG (mulberry32) so a failure replays with the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const HOUR = 3_600_000
const T0 = Date.parse('2026-11-20T00:00:00.000Z')
const LINES = ['line-a', 'line-b']
const LABELS = ['ok', 'pit', 'scratch']

type Workload = { writes: InspectionWrite[]; late: InspectionWrite[]; reviews: ReviewWrite[] }

/**
 * Inspections over ~30 hours of two lines: final edge verdicts, escalations (provisional, then a
 * cloud verdict that may arrive first with a later receivedAt, moving the row to an earlier hour),
 * held cases, audits, redelivered writes, and reviews (some out of order) of a share of them.
 */
function workload(seed: number, count: number): Workload {
  const rnd = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const uuid = () => {
    const hex = Array.from({ length: 32 }, () => Math.floor(rnd() * 16).toString(16)).join('')
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20)}`
  }
  const writes: InspectionWrite[] = []
  const late: InspectionWrite[] = []
  const reviews: ReviewWrite[] = []
  for (let i = 0; i < count; i++) {
    const id = uuid()
    const lineId = pick(LINES)
    const base = { id, lineId, plantId: 'plant-1' }
    const receivedAt = new Date(T0 + Math.floor(rnd() * 30 * HOUR))
    const tokens = pick([16, 32, 64])
    const edge = {
      label: pick(LABELS),
      probabilities: { ok: 0.6, pit: 0.4 },
      budget: 16,
      tokens,
      model: 'edge-vit-s',
      latencyMs: rnd() < 0.1 ? rnd() : 1 + rnd() * 300,
      cost: tokens * 0.0001,
    }
    const kind = rnd()
    const own: InspectionWrite[] = []
    if (kind < 0.4) {
      own.push({
        ...base,
        receivedAt,
        edge,
        disposition: 'accepted',
        final: {
          verdict: edge.label,
          decidedBy: 'edge',
          decidedAt: new Date(receivedAt.getTime() + 5),
          latencyMs: edge.latencyMs,
        },
      })
    } else if (kind < 0.85) {
      const audit = kind >= 0.7
      own.push({
        ...base,
        receivedAt,
        edge,
        escalated: true,
        disposition: audit ? 'accepted' : 'escalated',
        escalationReason: audit ? 'audit' : pick(['confidence', 'margin']),
        ...(audit
          ? {
              final: {
                verdict: edge.label,
                decidedBy: 'edge' as const,
                decidedAt: new Date(receivedAt.getTime() + 5),
                latencyMs: edge.latencyMs,
              },
            }
          : {}),
      })
      if (rnd() < 0.8) {
        // The cloud's record only knows when the case was escalated: up to 90 min later.
        const escalatedAt = new Date(receivedAt.getTime() + Math.floor(rnd() * 1.5 * HOUR))
        const cloudLatency = 50 + rnd() * 20_000
        const cloudTokens = pick([256, 262])
        const cloudLabel = rnd() < 0.7 ? edge.label : pick(LABELS)
        own.push({
          ...base,
          receivedAt: escalatedAt,
          escalated: true,
          cloud: {
            label: cloudLabel,
            probabilities: { ok: 0.1, pit: 0.9 },
            budget: 256,
            tokens: cloudTokens,
            model: 'cloud-vit-m',
            latencyMs: cloudLatency,
            cost: cloudTokens * 0.001,
          },
          ...(audit
            ? {}
            : {
                final: {
                  verdict: cloudLabel,
                  decidedBy: 'cloud' as const,
                  decidedAt: new Date(escalatedAt.getTime() + cloudLatency),
                },
              }),
        })
        // Half the time the cloud verdict lands before the edge result.
        if (rnd() < 0.5) own.reverse()
      }
    } else {
      own.push({ ...base, receivedAt, edge, disposition: 'held', escalated: rnd() < 0.5 })
    }
    // Redelivery: the same record again, now or after everything else.
    if (rnd() < 0.25) own.push(own[Math.floor(rnd() * own.length)]!)
    if (own.length > 1 && rnd() < 0.5) late.push(own.pop()!)
    writes.push(...own)
    if (rnd() < 0.2) {
      const reviewCount = rnd() < 0.3 ? 2 : 1
      for (let r = 0; r < reviewCount; r++) {
        reviews.push({
          id: uuid(),
          inspectionId: id,
          label: pick(LABELS),
          reviewer: 'qa',
          // A second review may be older than the first (recorded late): the newer one must win.
          createdAt: new Date(receivedAt.getTime() + Math.floor(rnd() * 3 * HOUR) + 60_000),
        })
      }
    }
  }
  // Shuffle: writes of one id arrive interleaved with others, in batches of random size.
  for (let i = writes.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[writes[i], writes[j]] = [writes[j]!, writes[i]!]
  }
  return { writes, late, reviews }
}

function batchesOf<T>(items: readonly T[], rnd: () => number, most: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; ) {
    const size = 1 + Math.floor(rnd() * most)
    out.push(items.slice(i, i + size))
    i += size
  }
  return out
}

/** Histogram percentiles: within ±4.4 % of `percentile_cont`'s value, or 0.5 ms below 1 ms. */
function expectPercentilesClose(actual: PercentileTriple, expected: PercentileTriple, what: string): void {
  expect(actual.count, `${what} count`).toBe(expected.count)
  for (const p of ['p50', 'p95', 'p99'] as const) {
    const want = expected[p]
    const got = actual[p]
    if (want === null) {
      expect(got, `${what} ${p}`).toBeNull()
      continue
    }
    expect(got, `${what} ${p}`).not.toBeNull()
    const tolerance = 0.5 + want * (2 ** (1 / 16) - 1) + 1e-9
    expect(Math.abs(got! - want), `${what} ${p}: ${got} against ${want}`).toBeLessThanOrEqual(tolerance)
  }
}

function expectSameStats(actual: LineWindowStats, expected: LineWindowStats, what: string): void {
  const { latency, edgeLatency, cloudLatency, tokens, hourly, ...counts } = actual
  const {
    latency: wantLatency,
    edgeLatency: wantEdge,
    cloudLatency: wantCloud,
    tokens: wantTokens,
    hourly: wantHourly,
    ...wantCounts
  } = expected
  expect(counts, `${what} counts`).toEqual(wantCounts)
  expectPercentilesClose(latency, wantLatency, `${what} latency`)
  expectPercentilesClose(edgeLatency, wantEdge, `${what} edgeLatency`)
  expectPercentilesClose(cloudLatency, wantCloud, `${what} cloudLatency`)
  expect(tokens.edge, `${what} edge tokens`).toBe(wantTokens.edge)
  expect(tokens.cloud, `${what} cloud tokens`).toBe(wantTokens.cloud)
  expect(tokens.edgeCost, `${what} edge cost`).toBeCloseTo(wantTokens.edgeCost, 9)
  expect(tokens.cloudCost, `${what} cloud cost`).toBeCloseTo(wantTokens.cloudCost, 9)
  expect(
    hourly.map(({ cost, ...h }) => h),
    `${what} hourly`,
  ).toEqual(wantHourly.map(({ cost, ...h }) => h))
  for (const [i, h] of hourly.entries()) {
    expect(h.cost, `${what} hourly cost ${h.hour.toISOString()}`).toBeCloseTo(wantHourly[i]!.cost, 9)
  }
}

/** Windows: aligned and not, within one hour, across the moves, the whole range, empty, before the data. */
const windows: [string, Date, Date][] = [
  ['whole range', new Date(T0 - HOUR), new Date(T0 + 40 * HOUR)],
  ['aligned 24 h', new Date(T0 + 3 * HOUR), new Date(T0 + 27 * HOUR)],
  ['unaligned 24 h', new Date(T0 + 2.37 * HOUR + 1234), new Date(T0 + 26.37 * HOUR + 1234)],
  ['inside one hour', new Date(T0 + 5.1 * HOUR), new Date(T0 + 5.8 * HOUR)],
  ['across one boundary', new Date(T0 + 7.6 * HOUR), new Date(T0 + 8.2 * HOUR)],
  ['two partial hours and one whole', new Date(T0 + 9.9 * HOUR), new Date(T0 + 12.05 * HOUR)],
  ['before the data', new Date(T0 - 10 * HOUR), new Date(T0 - 2 * HOUR)],
]

type Setup = { handle: DriverHandle; cleanup?: () => Promise<void> }

function describeRollups(name: string, open: () => Promise<Setup>, concurrent: boolean): void {
  describe(`line hour rollups (${name})`, () => {
    let setup: Setup
    let inspections: InspectionsRepository
    let reviews: ReviewsRepository
    let stats: InspectionStatsRepository

    beforeAll(async () => {
      setup = await open()
      await setup.handle.migrate()
      inspections = new InspectionsRepository(setup.handle.db)
      reviews = new ReviewsRepository(setup.handle.db)
      stats = new InspectionStatsRepository(setup.handle.db)
    })
    afterAll(async () => {
      await setup?.handle.close()
      await setup?.cleanup?.()
    })

    const compareAll = async (stage: string) => {
      for (const lineId of LINES) {
        for (const [label, from, to] of windows) {
          const [fromRollups, direct] = await Promise.all([
            stats.lineWindow(lineId, from, to),
            stats.lineWindowDirect(lineId, from, to),
          ])
          expectSameStats(fromRollups, direct, `${stage}, ${lineId}, ${label}`)
        }
      }
    }

    /** Both rollup tables equal a fresh aggregation of the rows (what the migration's backfill computes). */
    const expectRollupsMatchRows = async () => {
      const tables = [
        {
          table: 'line_hour_rollups',
          at: 'hour',
          bucket: (ts: string) => `date_trunc('hour', ${ts}, 'UTC')`,
        },
        {
          table: 'line_slot_rollups',
          at: 'slot',
          bucket: (ts: string) => `date_bin('5 minutes', ${ts}, timestamptz '1970-01-01 00:00:00+00')`,
        },
      ]
      for (const { table, at, bucket } of tables) {
        const result = await setup.handle.db.execute(
          sql.raw(`
          with fresh as (
            select i.line_id, ${bucket('i.received_at')} as at, k.key, count(*)::float8 as n, 0::float8 as cost
            from inspections i, lateral tokenline_rollup_keys(i.verdict, i.disposition, i.decided_by, i.escalated,
              i.escalation_reason, i.edge_label, i.cloud_label, i.review_label, i.latency_ms, i.edge_latency_ms,
              i.cloud_latency_ms) k(key)
            group by 1, 2, 3
            union all
            select line_id, ${bucket('at')}, 'ledger:' || tier, sum(tokens)::float8, sum(cost)::float8
            from cost_ledger group by 1, 2, 3
          ), kept as (
            select line_id, ${at} as at, key, n::float8 as n, cost from ${table} where n <> 0 or abs(cost) > 1e-9
          )
          select count(*)::int as differing, (select count(*)::int from kept) as kept from (
            select line_id, at, key from (
              select line_id, at, key, n, cost from fresh
              union all select line_id, at, key, -n, -cost from kept
            ) d group by 1, 2, 3 having sum(n) <> 0 or abs(sum(cost)) > 1e-9
          ) x`),
        )
        const [row] = (result as unknown as { rows: { differing: number; kept: number }[] }).rows
        expect(Number(row?.differing), table).toBe(0)
        expect(Number(row?.kept), table).toBeGreaterThan(100)
      }
    }

    it('serves the same stats from the rollups as from the rows through writes, reviews, redeliveries and deletes', async () => {
      const rnd = prng(7)
      const { writes, late, reviews: reviewWrites } = workload(12_345, 600)
      for (const batch of batchesOf(writes, rnd, 40)) await inspections.upsertMany(batch)
      await compareAll('after the first writes')
      await expectRollupsMatchRows()

      for (const review of reviewWrites) await reviews.record(review)
      // Retried review (same id): nothing changes.
      await reviews.record(reviewWrites[0]!)
      await compareAll('after the reviews')
      // The workload reaches every counter (else a comparison of zeros would pass).
      const all = await stats.lineWindowDirect('line-a', windows[0]![1], windows[0]![2])
      for (const n of [
        all.pending,
        all.held,
        all.audited,
        all.escalatedAgreement.total - all.escalatedAgreement.hits,
        all.auditedAgreement.hits,
        all.edgeCorrect.total - all.edgeCorrect.hits,
        all.reviewedCorrect.hits,
        all.reviewedCorrect.total - all.reviewedCorrect.hits,
        all.cloudLatency.count,
        all.byDecidedBy.find((d) => d.decidedBy === 'human')?.count ?? 0,
      ]) {
        expect(n).toBeGreaterThan(0)
      }

      // Late and redelivered records, several batches at once where the database allows it.
      const lateBatches = batchesOf(late, rnd, 25)
      if (concurrent) {
        const lanes = [0, 1, 2, 3].map((lane) => lateBatches.filter((_, i) => i % 4 === lane))
        await Promise.all(
          lanes.map(async (lane) => {
            for (const batch of lane) await upsertRetryingDeadlocks(inspections, batch)
          }),
        )
      } else {
        for (const batch of lateBatches) await inspections.upsertMany(batch)
      }
      await compareAll('after the late writes')
      await expectRollupsMatchRows()

      // Deletes (retention would do this): rows and their ledger entries, unreviewed ones.
      const deleted = await setup.handle.db.execute(sql`
        with gone as (
          select id from inspections i
          where i.review_label is null and get_byte(decode(substr(replace(i.id::text, '-', ''), 1, 2), 'hex'), 0) < 40
        ), ledger as (delete from cost_ledger where inspection_id in (select id from gone))
        delete from inspections where id in (select id from gone) returning id`)
      expect((deleted as unknown as { rows: unknown[] }).rows.length).toBeGreaterThan(10)
      await compareAll('after deletes')
      await expectRollupsMatchRows()
    })

    it('puts each latency in the histogram bucket lib/db/latency-histogram.ts reads it as', async () => {
      const values = [
        0,
        0.2,
        0.999,
        1,
        1.0905,
        1.5,
        2,
        7.3,
        100,
        1000,
        65_536,
        3_600_000,
        86_400_000,
        2 ** 35.9,
      ]
      const result = await setup.handle.db.execute(
        sql`select v, tokenline_latency_bucket(v) as b from unnest(${`{${values.join(',')}}`}::float8[]) v`,
      )
      for (const row of (result as unknown as { rows: { v: number; b: number }[] }).rows) {
        const [lower, upper] = bucketBounds(Number(row.b))
        expect(Number(row.v), `bucket ${row.b}`).toBeGreaterThanOrEqual(lower * (1 - 1e-12))
        expect(Number(row.v), `bucket ${row.b}`).toBeLessThan(upper * (1 + 1e-12))
      }
    })

    it('keeps the latest review by (createdAt, id) whatever order the reviews arrive in', async () => {
      const id = '00000000-0000-4000-8000-0000000000aa'
      const receivedAt = new Date(T0 + 2 * HOUR)
      await inspections.upsert({
        id,
        lineId: 'line-a',
        plantId: 'plant-1',
        receivedAt,
        escalated: true,
        disposition: 'held',
        edge: { label: 'pit', probabilities: { pit: 1 }, budget: 16, tokens: 16, model: 'e', latencyMs: 3 },
      })
      const at = (min: number) => new Date(receivedAt.getTime() + min * 60_000)
      await reviews.record({
        id: '00000000-0000-4000-8000-0000000000b2',
        inspectionId: id,
        label: 'ok',
        reviewer: 'a',
        createdAt: at(20),
      })
      await reviews.record({
        id: '00000000-0000-4000-8000-0000000000b1',
        inspectionId: id,
        label: 'scratch',
        reviewer: 'b',
        createdAt: at(10),
      })
      const row = await inspections.get(id)
      expect(row?.reviewLabel).toBe('ok')
      expect(row?.verdict).toBe('ok')
      await compareAll('after out-of-order reviews')
    })
  })
}

/** Concurrent batches may deadlock on shared rollup rows; the ingest retries those (retriable), so does this. */
async function upsertRetryingDeadlocks(repo: InspectionsRepository, batch: InspectionWrite[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await repo.upsertMany(batch)
      return
    } catch (err) {
      const code =
        (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code
      if (code !== '40P01' || attempt >= 5) throw err
    }
  }
}

/** SQL seeding rows before migration 0006 exists (the repositories already know its columns). */
const seedBeforeRollups = [
  `insert into plants (id, name, created_at) values ('plant-1', 'P', now())`,
  `insert into lines (id, plant_id, name, created_at) values ('line-a', 'plant-1', 'A', now()), ('line-b', 'plant-1', 'B', now())`,
  `insert into inspections (id, line_id, plant_id, received_at, decided_at, edge_label, edge_latency_ms,
     cloud_label, cloud_latency_ms, verdict, decided_by, escalated, disposition, escalation_reason, latency_ms, updated_at)
   select gen_random_uuid(), case when g % 2 = 0 then 'line-a' else 'line-b' end, 'plant-1', t, t,
     (array['ok', 'pit', 'scratch'])[1 + g % 3], (g % 97) * 1.7 + 0.3,
     case when g % 5 = 0 then (array['ok', 'pit', 'scratch'])[1 + (g / 5) % 3] end,
     case when g % 5 = 0 then 100 + g % 1000 end,
     case when g % 13 = 0 then null when g % 5 = 0 then (array['ok', 'pit', 'scratch'])[1 + (g / 5) % 3]
       else (array['ok', 'pit', 'scratch'])[1 + g % 3] end,
     case when g % 13 = 0 then null when g % 5 = 0 then 'cloud' else 'edge' end,
     g % 5 = 0 or g % 17 = 0,
     case when g % 13 = 0 and g % 2 = 0 then 'held' when g % 5 = 0 then 'escalated' else 'accepted' end,
     case when g % 17 = 0 then 'audit' when g % 5 = 0 then 'confidence' end,
     case when g % 13 = 0 then null else (g % 700) * 3.1 end, t
   from (select g, '${new Date(T0).toISOString()}'::timestamptz + g * interval '23 s' as t from generate_series(1, 3000) g) s`,
  `insert into reviews (id, inspection_id, label, reviewer, created_at)
   select gen_random_uuid(), id, (array['ok', 'pit', 'scratch'])[1 + (extract(epoch from received_at)::bigint / 23) % 3], 'qa',
     received_at + interval '1 hour'
   from inspections where (extract(epoch from received_at)::bigint / 23) % 7 = 0`,
  `insert into reviews (id, inspection_id, label, reviewer, created_at)
   select gen_random_uuid(), id, 'scratch', 'qa2', received_at + interval '30 minutes'
   from inspections where (extract(epoch from received_at)::bigint / 23) % 14 = 0`,
  `insert into cost_ledger (line_id, inspection_id, tier, tokens, cost, at)
   select line_id, id, 'edge', 16, 0.0016, received_at from inspections`,
  `insert into cost_ledger (line_id, inspection_id, tier, tokens, cost, at)
   select line_id, id, 'cloud', 256, 0.0256, received_at from inspections where escalated`,
]

function describeBackfill(
  name: string,
  open: () => Promise<{
    db: Database
    migrate: (folder: string) => Promise<void>
    close: () => Promise<void>
  }>,
): void {
  it(`backfills the rollups and latest reviews of existing rows (${name})`, async () => {
    const before = mkdtempSync(join(tmpdir(), 'tokenline-migrations-'))
    const target = await open()
    try {
      // The committed migrations up to 0005, as a database made before this one had them.
      cpSync(migrationsFolder, before, { recursive: true })
      rmSync(join(before, '0006_line_hour_rollups.sql'))
      const journalPath = join(before, 'meta', '_journal.json')
      const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { idx: number }[] }
      journal.entries = journal.entries.filter((e) => e.idx <= 5)
      writeFileSync(journalPath, JSON.stringify(journal))
      await target.migrate(before)
      for (const statement of seedBeforeRollups) await target.db.execute(sql.raw(statement))
      await target.migrate(migrationsFolder)

      const stats = new InspectionStatsRepository(target.db)
      for (const lineId of LINES) {
        for (const [label, from, to] of [
          ['whole range', new Date(T0), new Date(T0 + 21 * HOUR)],
          ['unaligned', new Date(T0 + 1.5 * HOUR), new Date(T0 + 17.25 * HOUR)],
        ] as const) {
          const direct = await stats.lineWindowDirect(lineId, from, to)
          expect(direct.reviewedCorrect.total).toBeGreaterThan(0)
          expectSameStats(await stats.lineWindow(lineId, from, to), direct, `backfill, ${lineId}, ${label}`)
        }
      }
      const reviewed = await target.db.execute(
        sql`select count(*)::int as n from inspections where review_label is not null`,
      )
      expect(Number((reviewed as unknown as { rows: { n: number }[] }).rows[0]?.n)).toBeGreaterThan(100)
    } finally {
      await target.close()
      rmSync(before, { recursive: true, force: true })
    }
  })
}

describe('migration 0006', () => {
  describeBackfill('PGlite', async () => {
    const client = new PGlite()
    const db = drizzlePglite({ client, schema }) as unknown as Database
    return {
      db,
      migrate: (folder) => migratePglite(drizzlePglite({ client, schema }), { migrationsFolder: folder }),
      close: () => client.close(),
    }
  })
  describeBackfill('PostgreSQL', async () => {
    const database = await createTestDatabase()
    const pool = new pg.Pool({ connectionString: database.url, max: 2 })
    const db = drizzlePg({ client: pool, schema })
    return {
      db: db as unknown as Database,
      migrate: (folder) => migratePg(db, { migrationsFolder: folder }),
      close: async () => {
        await pool.end()
        await database.drop()
      },
    }
  })
})

describeRollups('PGlite', async () => ({ handle: await openPglite(null, 'test') }), false)

describeRollups(
  'PostgreSQL',
  async () => {
    const database = await createTestDatabase()
    return { handle: await openPostgres(database.url), cleanup: database.drop }
  },
  true,
)
