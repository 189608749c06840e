import { asc, eq, inArray, sql } from 'drizzle-orm'
import type { Database } from '../database.ts'
import { DbError } from '../errors.ts'
import { sqlState } from '../internal/sql-state.ts'
import { inspections, reviews } from '../schema.ts'
import { assertUuid } from './inspections.repository.ts'

export type ReviewRow = typeof reviews.$inferSelect

export type ReviewWrite = {
  /** UUID chosen by the caller, so a retried write records one review. */
  id: string
  inspectionId: string
  label: string
  reviewer: string
  note?: string | null
  createdAt: Date
}

/** Human reviews. A review settles the inspection's verdict (`decidedBy` human, latest review wins). */
export class ReviewsRepository {
  constructor(private readonly db: Database) {}

  async record(review: ReviewWrite): Promise<ReviewRow> {
    assertUuid(review.id)
    assertUuid(review.inspectionId, 'inspectionId')
    try {
      return await this.db.transaction(async (tx) => {
        await tx
          .insert(reviews)
          .values({ ...review, note: review.note ?? null })
          .onConflictDoNothing()
        const [stored] = await tx.select().from(reviews).where(eq(reviews.id, review.id))
        await tx
          .update(inspections)
          .set({
            verdict: stored!.label,
            decidedBy: 'human',
            decidedAt: stored!.createdAt,
            latencyMs: sql`extract(epoch from (${stored!.createdAt.toISOString()}::timestamptz - ${inspections.receivedAt})) * 1000`,
            updatedAt: new Date(),
          })
          .where(
            sql`${inspections.id} = ${review.inspectionId} and (${inspections.decidedBy} is distinct from 'human' or ${inspections.decidedAt} <= ${stored!.createdAt.toISOString()}::timestamptz)`,
          )
        return stored!
      })
    } catch (err) {
      if (sqlState(err) === '23503') {
        throw new DbError('DB_NOT_FOUND', `no inspection ${review.inspectionId} to review`, false, {
          cause: err,
        })
      }
      throw err
    }
  }

  /** Oldest first. */
  async listFor(inspectionId: string): Promise<ReviewRow[]> {
    assertUuid(inspectionId, 'inspectionId')
    return await this.db
      .select()
      .from(reviews)
      .where(eq(reviews.inspectionId, inspectionId))
      .orderBy(asc(reviews.createdAt), asc(reviews.id))
  }

  /** Reviews of several inspections at once, oldest first per inspection; ids without reviews are absent. */
  async listForMany(inspectionIds: readonly string[]): Promise<Map<string, ReviewRow[]>> {
    for (const id of inspectionIds) assertUuid(id, 'inspectionId')
    const byInspection = new Map<string, ReviewRow[]>()
    if (inspectionIds.length === 0) return byInspection
    const rows = await this.db
      .select()
      .from(reviews)
      .where(inArray(reviews.inspectionId, [...inspectionIds]))
      .orderBy(asc(reviews.createdAt), asc(reviews.id))
    for (const row of rows)
      byInspection.set(row.inspectionId, [...(byInspection.get(row.inspectionId) ?? []), row])
    return byInspection
  }
}
