import { and, eq, gte, lt, type SQL, sql } from 'drizzle-orm'
import type { Database } from '../database.ts'
import { type CostTier, costLedger } from '../schema.ts'

export type CostTotals = { tier: CostTier; entries: number; tokens: number; cost: number }

/**
 * Tokens and cost per inspection and tier. Rows are written with the inspection they belong to
 * (InspectionsRepository.upsert), stamped with the inspection's `receivedAt`; a repeated write replaces its entry.
 */
export class CostLedgerRepository {
  constructor(private readonly db: Database) {}

  /** Totals per tier over `[from, to)`, optionally for one line; tiers without entries are absent. */
  async totals(filter: { lineId?: string; from?: Date; to?: Date } = {}): Promise<CostTotals[]> {
    const conditions: SQL[] = []
    if (filter.lineId !== undefined) conditions.push(eq(costLedger.lineId, filter.lineId))
    if (filter.from !== undefined) conditions.push(gte(costLedger.at, filter.from))
    if (filter.to !== undefined) conditions.push(lt(costLedger.at, filter.to))
    const rows = await this.db
      .select({
        tier: costLedger.tier,
        entries: sql<number>`count(*)::int`,
        tokens: sql<number>`coalesce(sum(${costLedger.tokens}), 0)::bigint`,
        cost: sql<number>`coalesce(sum(${costLedger.cost}), 0)::float8`,
      })
      .from(costLedger)
      .where(and(...conditions))
      .groupBy(costLedger.tier)
      .orderBy(costLedger.tier)
    return rows.map((r) => ({
      tier: r.tier,
      entries: Number(r.entries),
      tokens: Number(r.tokens),
      cost: Number(r.cost),
    }))
  }
}
