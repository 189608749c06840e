import { and, asc, eq, gte, isNotNull, lte, sql } from 'drizzle-orm'
import type { Database } from '../database.ts'
import { type EdgeInspectionStatus, edgeInspections } from '../schema.ts'

export type EdgeInspectionRow = typeof edgeInspections.$inferSelect
export type EdgeInspectionWrite = typeof edgeInspections.$inferInsert

/** What the cloud said about one escalated case. */
export type CloudSettlement = {
  label: string
  probabilities: Record<string, number>
  answer: number | null
  at: Date
}

/** An edge node's record of each inspection it accepted (see `edgeInspections` in schema.ts). */
export class EdgeInspectionsRepository {
  constructor(private readonly db: Database) {}

  /** Inserts once; a repeated insert of the same id is ignored (returns false). */
  async insert(row: EdgeInspectionWrite): Promise<boolean> {
    const inserted = await this.db
      .insert(edgeInspections)
      .values(row)
      .onConflictDoNothing()
      .returning({ id: edgeInspections.id })
    return inserted.length === 1
  }

  /** Inserts several at once (one statement); ids already present are ignored. */
  async insertMany(rows: EdgeInspectionWrite[]): Promise<void> {
    if (rows.length === 0) return
    await this.db.insert(edgeInspections).values(rows).onConflictDoNothing()
  }

  async get(id: string): Promise<EdgeInspectionRow | undefined> {
    const [row] = await this.db.select().from(edgeInspections).where(eq(edgeInspections.id, id))
    return row
  }

  /**
   * Settles a pending (or past-deadline) case with the cloud's answer. Idempotent: a repeated or
   * out-of-date verdict for a case already settled, or one held for a person, changes nothing.
   * @returns whether the row changed
   */
  async settle(id: string, cloud: CloudSettlement): Promise<boolean> {
    const rows = await this.db
      .update(edgeInspections)
      .set({
        status: 'settled',
        cloudLabel: cloud.label,
        cloudProbabilities: cloud.probabilities,
        cloudAnswer: cloud.answer,
        finalLabel: cloud.label,
        settledAt: cloud.at,
      })
      .where(and(eq(edgeInspections.id, id), sql`${edgeInspections.status} in ('pending', 'fallback')`))
      .returning({ id: edgeInspections.id })
    return rows.length === 1
  }

  /**
   * Applies the policy's past-deadline fallback to pending cases whose deadline is at or before
   * `now`: `fallback` (edge verdict final) or `held`. A cloud verdict that still arrives later
   * replaces a `fallback` (the better answer wins) but never a `held` one (a person decides).
   * @returns the ids changed
   */
  async expire(
    now: Date,
    status: Extract<EdgeInspectionStatus, 'fallback' | 'held'>,
    lineId: string,
  ): Promise<string[]> {
    const rows = await this.db
      .update(edgeInspections)
      .set({
        status,
        finalLabel: status === 'fallback' ? sql`${edgeInspections.edgeLabel}` : null,
        settledAt: now,
      })
      .where(
        and(
          eq(edgeInspections.status, 'pending'),
          eq(edgeInspections.lineId, lineId),
          lte(edgeInspections.deadlineAt, now),
        ),
      )
      .returning({ id: edgeInspections.id })
    return rows.map((r) => r.id)
  }

  /** Cloud tokens committed per line since `from` (escalated cases × their cloud budget). */
  async cloudTokensSince(from: Date): Promise<Map<string, number>> {
    const rows = await this.db
      .select({
        lineId: edgeInspections.lineId,
        tokens: sql<number>`coalesce(sum((${edgeInspections.decision}->>'cloudTokens')::int), 0)::int`,
      })
      .from(edgeInspections)
      .where(and(gte(edgeInspections.decidedAt, from), eq(edgeInspections.disposition, 'escalated')))
      .groupBy(edgeInspections.lineId)
    return new Map(rows.map((r) => [r.lineId, Number(r.tokens)]))
  }

  /** Kept images older than `before`, oldest first, for the retention sweep. */
  imagesBefore(before: Date, limit: number): Promise<{ id: string; imagePath: string | null }[]> {
    return this.db
      .select({ id: edgeInspections.id, imagePath: edgeInspections.imagePath })
      .from(edgeInspections)
      .where(and(isNotNull(edgeInspections.imagePath), lte(edgeInspections.receivedAt, before)))
      .orderBy(asc(edgeInspections.receivedAt))
      .limit(limit)
  }

  async forgetImage(id: string): Promise<void> {
    await this.db.update(edgeInspections).set({ imagePath: null }).where(eq(edgeInspections.id, id))
  }

  /** Inspections per status, for metrics and tests. */
  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.db
      .select({ status: edgeInspections.status, n: sql<number>`count(*)::int` })
      .from(edgeInspections)
      .groupBy(edgeInspections.status)
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
  }
}
