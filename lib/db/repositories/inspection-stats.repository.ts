import { sql } from 'drizzle-orm'
import type { Database } from '../database.ts'
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

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows

/**
 * Line statistics in SQL, three queries whatever the window: counts, agreements and percentiles
 * in one pass over the line's inspections (with each one's latest review), counts by verdict and
 * by decider (grouping sets), and hourly buckets joined with the cost ledger. Uses the
 * `(line_id, received_at)` index of inspections and the `(line_id, at)` index of the ledger.
 */
export class InspectionStatsRepository {
  constructor(private readonly db: Database) {}

  async lineWindow(lineId: string, from: Date, to: Date): Promise<LineWindowStats> {
    const f = from.toISOString()
    const t = to.toISOString()
    const inWindow = sql`i.line_id = ${lineId} and i.received_at >= ${f}::timestamptz and i.received_at < ${t}::timestamptz`
    const [aggregates, groups, hours] = await Promise.all([
      this.db.execute(sql`
        with w as (
          select i.*, r.label as review_label,
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
          count(*) filter (where edge_label is not null and (review_label is not null or (escalation_reason = 'audit' and cloud_label is not null)))::int as est_total,
          count(*) filter (where edge_label = coalesce(review_label, case when escalation_reason = 'audit' then cloud_label end))::int as est_correct,
          count(*) filter (where review_label is not null and prior is not null)::int as rev_total,
          count(*) filter (where review_label = prior)::int as rev_correct,
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
    const deciderOrder: DecidedBy[] = ['edge', 'cloud', 'human']
    byDecidedBy.sort((x, y) => deciderOrder.indexOf(x.decidedBy) - deciderOrder.indexOf(y.decidedBy))
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
