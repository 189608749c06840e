import type { PercentileTriple, Tally } from '../../../../lib/db/index.ts'
import { canSeePlant } from '../auth/principal.ts'
import { GatewayError } from '../errors.ts'
import { wilson95 } from './internal/wilson.ts'
import type { DecidedBy, LineStats, QueryResolvers } from './resolvers.generated.ts'

const HOUR_MS = 3_600_000
/** Default window: the last 24 hours. */
const DEFAULT_WINDOW_MS = 24 * HOUR_MS
/** Longest window lineStats accepts. */
const MAX_WINDOW_MS = 31 * 24 * HOUR_MS

const decidedByEnum = { edge: 'EDGE', cloud: 'CLOUD', human: 'HUMAN' } as const satisfies Record<
  string,
  DecidedBy
>

export const statsQueries: Pick<QueryResolvers, 'lineStats'> = {
  lineStats: async (_parent, { lineId, from, to }, ctx) => {
    const end = to ?? new Date()
    const start = from ?? new Date(end.getTime() - DEFAULT_WINDOW_MS)
    const windowMs = end.getTime() - start.getTime()
    if (windowMs <= 0) {
      throw new GatewayError(
        'GATEWAY_ARGUMENT_INVALID',
        `expected from before to; received from ${start.toISOString()} and to ${end.toISOString()}`,
      )
    }
    if (windowMs > MAX_WINDOW_MS) {
      throw new GatewayError(
        'GATEWAY_ARGUMENT_INVALID',
        `expected a window of at most 31 days; received ${(windowMs / (24 * HOUR_MS)).toFixed(2)} days (from ${start.toISOString()} to ${end.toISOString()})`,
      )
    }
    // The three reads at once (one round trip instead of two); a line the key may not see is
    // refused before anything read is used.
    const [line, stats, policy] = await Promise.all([
      ctx.storage.lines.get(lineId),
      ctx.storage.inspectionStats.lineWindow(lineId, start, end),
      ctx.storage.policies.current(lineId),
    ])
    if (!line || !canSeePlant(ctx.principal, line.plantId)) {
      throw new GatewayError('GATEWAY_NOT_FOUND', `no line ${JSON.stringify(lineId)}`)
    }
    const cap = policy?.body.cloudTokenCapPerHour
    const capPerHour = typeof cap === 'number' && cap > 0 ? cap : null
    const hours = windowMs / HOUR_MS
    const peakCloudTokens = Math.max(0, ...stats.hourly.map((h) => h.cloudTokens))
    const result: LineStats = {
      lineId,
      from: start,
      to: end,
      inspections: stats.inspections,
      byVerdict: stats.byVerdict,
      byDecidedBy: stats.byDecidedBy.map((d) => ({ decidedBy: decidedByEnum[d.decidedBy], count: d.count })),
      pending: stats.pending,
      held: stats.held,
      escalated: stats.escalated,
      escalationRate: stats.inspections === 0 ? null : stats.escalated / stats.inspections,
      audited: stats.audited,
      escalatedAgreement: agreement(stats.escalatedAgreement),
      auditedAgreement: agreement(stats.auditedAgreement),
      estimatedEdgeAccuracy: wilson95(stats.edgeCorrect.hits, stats.edgeCorrect.total),
      reviewedAccuracy: wilson95(stats.reviewedCorrect.hits, stats.reviewedCorrect.total),
      tokens: {
        edge: stats.tokens.edge,
        cloud: stats.tokens.cloud,
        edgeCost: stats.tokens.edgeCost,
        cloudCost: stats.tokens.cloudCost,
        cloudTokensPerHour: stats.tokens.cloud / hours,
        costPerHour: (stats.tokens.edgeCost + stats.tokens.cloudCost) / hours,
        peakCapUsed: capPerHour === null ? null : peakCloudTokens / capPerHour,
      },
      hourly: stats.hourly,
      cloudTokenCapPerHour: capPerHour,
      latency: percentiles(stats.latency),
      edgeLatency: percentiles(stats.edgeLatency),
      cloudLatency: percentiles(stats.cloudLatency),
    }
    return result
  },
}

function agreement(tally: Tally): LineStats['escalatedAgreement'] {
  return { agree: tally.hits, total: tally.total, rate: tally.total === 0 ? null : tally.hits / tally.total }
}

function percentiles(p: PercentileTriple): LineStats['latency'] {
  return { count: p.count, p50: p.p50, p95: p.p95, p99: p.p99 }
}
