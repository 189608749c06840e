import { sql } from 'drizzle-orm'
import type { Database } from '../database.ts'
import { histogramPercentiles } from '../latency-histogram.ts'
import type { DecidedBy } from '../schema.ts'

/** p50, p95, p99 over `count` values (ms); null percentiles when count is 0. */
export type PercentileTriple = { count: number; p50: number | null; p95: number | null; p99: number | null }

/** Successes out of trials, for a rate or a proportion estimate. */
export type Tally = { hits: number; total: number }

/** Per clock hour (UTC) with inspections: counts from `inspections`, tokens and cost from `cost_ledger`. */
export type HourRow = {
  hour: Date
  inspections: number
  escalated: number
  edgeTokens: number
  cloudTokens: number
  cost: number
}

/** One line's raw figures over `[from, to)` of receivedAt; rates and intervals are the caller's. */
export type LineWindowStats = {
  inspections: number
  /** Escalated and still without a final verdict. */
  pending: number
  /** Held for a person and still without a final verdict. */
  held: number
  escalated: number
  audited: number
  byVerdict: { verdict: string; count: number }[]
  byDecidedBy: { decidedBy: DecidedBy; count: number }[]
  /** Edge label = cloud label, escalated cases with both labels. */
  escalatedAgreement: Tally
  /** The same on audited cases. */
  auditedAgreement: Tally
  /** Edge label against the latest review's label, or the cloud's on audited cases without a review. */
  edgeCorrect: Tally
  /** The verdict before the review (the cloud's, or the edge's when it was final) against the latest review's label. */
  reviewedCorrect: Tally
  latency: PercentileTriple
  edgeLatency: PercentileTriple
  cloudLatency: PercentileTriple
  /** Hours with inspections, oldest first. */
  hourly: HourRow[]
  /** Ledger totals over the window (every ledger entry, whichever hour). */
  tokens: { edge: number; cloud: number; edgeCost: number; cloudCost: number }
}

const HOUR_MS = 3_600_000
/** The finer rollups' slot (line_slot_rollups). */
const SLOT_MS = 300_000
const DECIDER_ORDER: readonly DecidedBy[] = ['edge', 'cloud', 'human']

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows

/**
 * Line statistics. `lineWindow` calls `tokenline_line_window` (migration 0006): the rollups kept
 * by triggers (lib/db/schema.ts) for the window's whole UTC hours, 5-minute slots for the rest of
 * its first and last hours, and the inspection and ledger rows of its first and last partial
 * 5 minutes: a few dozen rollup rows per hour of window plus at most 10 minutes of rows, however
 * many inspections the window holds. Counts and token totals equal `lineWindowDirect`'s;
 * percentiles come from the latency histogram (within ±4.4 %, see lib/db/latency-histogram.ts)
 * and costs are float sums taken in another order (equal to ~1e-9).
 *
 * `lineWindowDirect` is the reference: three queries over every row of the window (counts,
 * agreements and percentiles with each inspection's latest review; counts by verdict and decider;
 * hourly buckets joined with the cost ledger). Kept for tests and for checking a database by hand.
 */
export class InspectionStatsRepository {
  constructor(private readonly db: Database) {}

  async lineWindow(lineId: string, from: Date, to: Date): Promise<LineWindowStats> {
    const cuts = windowCuts(from.getTime(), to.getTime()).map((ms) => new Date(ms).toISOString())
    const [s0, h0, h1, s1] = cuts
    const result = await this.db.execute(sql`
      select total, hour, key, n, cost from tokenline_line_window(${lineId}, ${from.toISOString()}::timestamptz,
        ${s0}::timestamptz, ${h0}::timestamptz, ${h1}::timestamptz, ${s1}::timestamptz, ${to.toISOString()}::timestamptz)`)
    const totals = new Map<string, { n: number; cost: number }>()
    const hours = new Map<number, HourRow>()
    for (const row of rowsOf<{
      total: number
      hour: Date | string | null
      key: string
      n: number
      cost: number
    }>(result)) {
      const n = Number(row.n)
      const cost = Number(row.cost)
      if (Number(row.total) === 1) {
        totals.set(row.key, { n, cost })
        continue
      }
      const hour = new Date(row.hour as Date | string)
      let h = hours.get(hour.getTime())
      if (h === undefined) {
        h = { hour, inspections: 0, escalated: 0, edgeTokens: 0, cloudTokens: 0, cost: 0 }
        hours.set(hour.getTime(), h)
      }
      if (row.key === 'inspections') h.inspections = n
      else if (row.key === 'escalated') h.escalated = n
      else if (row.key === 'ledger:edge') {
        h.edgeTokens = n
        h.cost += cost
      } else {
        h.cloudTokens = n
        h.cost += cost
      }
    }
    const count = (key: string) => totals.get(key)?.n ?? 0
    const byVerdict: LineWindowStats['byVerdict'] = []
    const byDecidedBy: LineWindowStats['byDecidedBy'] = []
    const histograms = {
      lat: new Map<number, number>(),
      edge_lat: new Map<number, number>(),
      cloud_lat: new Map<number, number>(),
    }
    for (const [key, { n }] of totals) {
      // Rollup rows an inspection moved out of stay behind with n = 0.
      if (n <= 0) continue
      const colon = key.indexOf(':')
      if (colon < 0) continue
      const kind = key.slice(0, colon)
      const value = key.slice(colon + 1)
      if (kind === 'verdict') byVerdict.push({ verdict: value, count: n })
      else if (kind === 'decided') byDecidedBy.push({ decidedBy: value as DecidedBy, count: n })
      else if (kind === 'lat' || kind === 'edge_lat' || kind === 'cloud_lat')
        histograms[kind].set(Number(value), n)
    }
    byVerdict.sort((x, y) => y.count - x.count || x.verdict.localeCompare(y.verdict))
    byDecidedBy.sort((x, y) => DECIDER_ORDER.indexOf(x.decidedBy) - DECIDER_ORDER.indexOf(y.decidedBy))
    return {
      inspections: count('inspections'),
      pending: count('pending'),
      held: count('held'),
      escalated: count('escalated'),
      audited: count('audited'),
      byVerdict,
      byDecidedBy,
      escalatedAgreement: { hits: count('esc_agree'), total: count('esc_total') },
      auditedAgreement: { hits: count('audit_agree'), total: count('audit_total') },
      edgeCorrect: { hits: count('est_correct'), total: count('est_total') },
      reviewedCorrect: { hits: count('rev_correct'), total: count('rev_total') },
      latency: fromHistogram(histograms.lat),
      edgeLatency: fromHistogram(histograms.edge_lat),
      cloudLatency: fromHistogram(histograms.cloud_lat),
      hourly: [...hours.values()]
        .filter((h) => h.inspections > 0)
        .sort((x, y) => x.hour.getTime() - y.hour.getTime()),
      tokens: {
        edge: count('ledger:edge'),
        cloud: count('ledger:cloud'),
        edgeCost: totals.get('ledger:edge')?.cost ?? 0,
        cloudCost: totals.get('ledger:cloud')?.cost ?? 0,
      },
    }
  }

  async lineWindowDirect(lineId: string, from: Date, to: Date): Promise<LineWindowStats> {
    const f = from.toISOString()
    const t = to.toISOString()
    const inWindow = sql`i.line_id = ${lineId} and i.received_at >= ${f}::timestamptz and i.received_at < ${t}::timestamptz`
    const [aggregates, groups, hours] = await Promise.all([
      this.db.execute(sql`
        with w as (
          select i.*, r.label as latest_review,
            coalesce(i.cloud_label, case when not i.escalated and i.disposition is distinct from 'held' then i.edge_label end) as prior
          from inspections i
          left join lateral (
            select label from reviews where reviews.inspection_id = i.id order by created_at desc, id desc limit 1
          ) r on true
          where ${inWindow}
        )
        select
          count(*)::int as inspections,
          count(*) filter (where verdict is null and disposition is distinct from 'held')::int as pending,
          count(*) filter (where verdict is null and disposition = 'held')::int as held,
          count(*) filter (where escalated)::int as escalated,
          count(*) filter (where escalation_reason = 'audit')::int as audited,
          count(*) filter (where escalated and cloud_label is not null and edge_label is not null)::int as esc_total,
          count(*) filter (where escalated and edge_label = cloud_label)::int as esc_agree,
          count(*) filter (where escalation_reason = 'audit' and cloud_label is not null and edge_label is not null)::int as audit_total,
          count(*) filter (where escalation_reason = 'audit' and edge_label = cloud_label)::int as audit_agree,
          count(*) filter (where edge_label is not null and (latest_review is not null or (escalation_reason = 'audit' and cloud_label is not null)))::int as est_total,
          count(*) filter (where edge_label = coalesce(latest_review, case when escalation_reason = 'audit' then cloud_label end))::int as est_correct,
          count(*) filter (where latest_review is not null and prior is not null)::int as rev_total,
          count(*) filter (where latest_review = prior)::int as rev_correct,
          count(latency_ms) filter (where verdict is not null)::int as lat_n,
          percentile_cont(array[0.5, 0.95, 0.99]) within group (order by latency_ms) filter (where verdict is not null) as lat,
          count(edge_latency_ms)::int as edge_n,
          percentile_cont(array[0.5, 0.95, 0.99]) within group (order by edge_latency_ms) as edge_lat,
          count(cloud_latency_ms)::int as cloud_n,
          percentile_cont(array[0.5, 0.95, 0.99]) within group (order by cloud_latency_ms) as cloud_lat
        from w`),
      this.db.execute(sql`
        select grouping(i.verdict)::int as by_decider, i.verdict, i.decided_by, count(*)::int as n
        from inspections i
        where ${inWindow}
        group by grouping sets ((i.verdict), (i.decided_by))`),
      this.db.execute(sql`
        with ins as (
          select date_trunc('hour', i.received_at, 'UTC') as hour, count(*)::int as n,
            count(*) filter (where i.escalated)::int as esc
          from inspections i where ${inWindow} group by 1
        ), led as (
          select date_trunc('hour', c.at, 'UTC') as hour,
            coalesce(sum(c.tokens) filter (where c.tier = 'edge'), 0)::float8 as edge_tokens,
            coalesce(sum(c.tokens) filter (where c.tier = 'cloud'), 0)::float8 as cloud_tokens,
            coalesce(sum(c.cost) filter (where c.tier = 'edge'), 0)::float8 as edge_cost,
            coalesce(sum(c.cost) filter (where c.tier = 'cloud'), 0)::float8 as cloud_cost
          from cost_ledger c
          where c.line_id = ${lineId} and c.at >= ${f}::timestamptz and c.at < ${t}::timestamptz
          group by 1
        )
        select coalesce(ins.hour, led.hour) as hour, coalesce(ins.n, 0)::int as n, coalesce(ins.esc, 0)::int as esc,
          coalesce(led.edge_tokens, 0) as edge_tokens, coalesce(led.cloud_tokens, 0) as cloud_tokens,
          coalesce(led.edge_cost, 0) as edge_cost, coalesce(led.cloud_cost, 0) as cloud_cost
        from ins full join led on ins.hour = led.hour
        order by 1`),
    ])
    const a = rowsOf<Record<string, unknown>>(aggregates)[0] ?? {}
    const n = (key: string) => Number(a[key] ?? 0)
    const byVerdict: LineWindowStats['byVerdict'] = []
    const byDecidedBy: LineWindowStats['byDecidedBy'] = []
    for (const g of rowsOf<{
      by_decider: number
      verdict: string | null
      decided_by: DecidedBy | null
      n: number
    }>(groups)) {
      if (Number(g.by_decider) === 1) {
        if (g.decided_by !== null) byDecidedBy.push({ decidedBy: g.decided_by, count: Number(g.n) })
      } else if (g.verdict !== null) byVerdict.push({ verdict: g.verdict, count: Number(g.n) })
    }
    byVerdict.sort((x, y) => y.count - x.count || x.verdict.localeCompare(y.verdict))
    byDecidedBy.sort((x, y) => DECIDER_ORDER.indexOf(x.decidedBy) - DECIDER_ORDER.indexOf(y.decidedBy))
    const tokens = { edge: 0, cloud: 0, edgeCost: 0, cloudCost: 0 }
    const hourly: HourRow[] = []
    for (const h of rowsOf<Record<string, unknown>>(hours)) {
      tokens.edge += Number(h.edge_tokens)
      tokens.cloud += Number(h.cloud_tokens)
      tokens.edgeCost += Number(h.edge_cost)
      tokens.cloudCost += Number(h.cloud_cost)
      if (Number(h.n) === 0) continue
      hourly.push({
        hour: new Date(h.hour as Date | string),
        inspections: Number(h.n),
        escalated: Number(h.esc),
        edgeTokens: Number(h.edge_tokens),
        cloudTokens: Number(h.cloud_tokens),
        cost: Number(h.edge_cost) + Number(h.cloud_cost),
      })
    }
    return {
      inspections: n('inspections'),
      pending: n('pending'),
      held: n('held'),
      escalated: n('escalated'),
      audited: n('audited'),
      byVerdict,
      byDecidedBy,
      escalatedAgreement: { hits: n('esc_agree'), total: n('esc_total') },
      auditedAgreement: { hits: n('audit_agree'), total: n('audit_total') },
      edgeCorrect: { hits: n('est_correct'), total: n('est_total') },
      reviewedCorrect: { hits: n('rev_correct'), total: n('rev_total') },
      latency: percentiles(n('lat_n'), a.lat),
      edgeLatency: percentiles(n('edge_n'), a.edge_lat),
      cloudLatency: percentiles(n('cloud_n'), a.cloud_lat),
      hourly,
      tokens,
    }
  }
}

/**
 * Where `tokenline_line_window` cuts [from, to): from ≤ s0 ≤ h0 ≤ h1 ≤ s1 ≤ to, s0/s1 the first and
 * last 5-minute boundary inside, h0/h1 the first and last hour boundary; rows in [from, s0) and
 * [s1, to), 5-minute slots in [s0, h0) and [h1, s1), hours in [h0, h1). Without a whole hour the
 * slots cover [s0, s1); without a whole slot the rows cover it all.
 */
export function windowCuts(from: number, to: number): [number, number, number, number] {
  const s0 = Math.ceil(from / SLOT_MS) * SLOT_MS
  const s1 = Math.floor(to / SLOT_MS) * SLOT_MS
  if (s0 >= s1) return [to, to, to, to]
  const h0 = Math.ceil(from / HOUR_MS) * HOUR_MS
  const h1 = Math.floor(to / HOUR_MS) * HOUR_MS
  if (h0 >= h1) return [s0, s0, s0, s1]
  return [s0, h0, h1, s1]
}

function fromHistogram(counts: ReadonlyMap<number, number>): PercentileTriple {
  let count = 0
  for (const n of counts.values()) count += n
  const [p50, p95, p99] = histogramPercentiles(counts, [0.5, 0.95, 0.99])
  return { count, p50: p50!, p95: p95!, p99: p99! }
}

function percentiles(count: number, values: unknown): PercentileTriple {
  const list = parseArray(values)
  if (count === 0 || list.length !== 3) return { count, p50: null, p95: null, p99: null }
  return { count, p50: list[0]!, p95: list[1]!, p99: list[2]! }
}

/** A float8[] as the driver hands it: an array already, or the `{1,2,3}` text form. */
function parseArray(values: unknown): number[] {
  if (Array.isArray(values)) return values.map(Number)
  if (typeof values === 'string' && values.startsWith('{')) {
    return values
      .slice(1, -1)
      .split(',')
      .filter((v) => v !== '' && v !== 'NULL')
      .map(Number)
  }
  return []
}
