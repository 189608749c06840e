import { and, asc, desc, eq, gte, inArray, type SQL, sql } from 'drizzle-orm'
import type { Database } from '../database.ts'
import { DbError } from '../errors.ts'
import { decodeCursor } from '../internal/cursor.ts'
import { sqlState } from '../internal/sql-state.ts'
import { inspections, reviewCandidate, reviews } from '../schema.ts'
import {
  assertUuid,
  type InspectionRow,
  inspectionCursor,
  MAX_PAGE_SIZE,
  type Page,
} from './inspections.repository.ts'

/** Which cases wait for a person; `plantIds` restricts to those plants (an API key's scope). */
export type ReviewQueueFilter = { lineId?: string; plantId?: string; plantIds?: readonly string[] }

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

  /**
   * Records a review unless the same reviewer gave the same label to the same inspection within
   * `windowMs` before `review.createdAt` (a client retrying a request): then the earlier review
   * is returned with `created` false and nothing changes. Retries racing each other are serialised
   * by a transaction-scoped advisory lock on the inspection id.
   */
  async recordOnce(review: ReviewWrite, windowMs: number): Promise<{ review: ReviewRow; created: boolean }> {
    assertUuid(review.inspectionId, 'inspectionId')
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${review.inspectionId}, 7301))`)
      const [earlier] = await tx
        .select()
        .from(reviews)
        .where(
          and(
            eq(reviews.inspectionId, review.inspectionId),
            eq(reviews.label, review.label),
            eq(reviews.reviewer, review.reviewer),
            gte(reviews.createdAt, new Date(review.createdAt.getTime() - windowMs)),
          ),
        )
        .orderBy(desc(reviews.createdAt))
        .limit(1)
      if (earlier) return { review: earlier, created: false }
      return { review: await new ReviewsRepository(tx).record(review), created: true }
    })
  }

  /**
   * Cases waiting for a person, oldest first (receivedAt, then id): held cases without a verdict,
   * escalations the cloud answered differently from the edge, and audited cases; none with a
   * review yet. `after` is a previous page's `endCursor`.
   */
  async queue(
    filter: ReviewQueueFilter,
    page: { first: number; after?: string | null },
  ): Promise<Page<InspectionRow>> {
    if (!Number.isInteger(page.first) || page.first < 1 || page.first > MAX_PAGE_SIZE) {
      throw new DbError(
        'DB_INPUT_INVALID',
        `expected an integer 1–${MAX_PAGE_SIZE} for first; received ${JSON.stringify(page.first)}`,
      )
    }
    const conditions = queueConditions(filter)
    if (page.after) {
      const cursor = decodeCursor(page.after)
      assertUuid(cursor.id, 'after')
      conditions.push(
        sql`(${inspections.receivedAt}, ${inspections.id}) > (${cursor.at.toISOString()}::timestamptz, ${cursor.id}::uuid)`,
      )
    }
    const rows = await this.db
      .select()
      .from(inspections)
      .where(and(...conditions))
      .orderBy(asc(inspections.receivedAt), asc(inspections.id))
      .limit(page.first + 1)
    const hasNextPage = rows.length > page.first
    const pageRows = hasNextPage ? rows.slice(0, page.first) : rows
    return {
      rows: pageRows,
      hasNextPage,
      startCursor: pageRows[0] ? inspectionCursor(pageRows[0]) : null,
      endCursor: pageRows.at(-1) ? inspectionCursor(pageRows.at(-1)!) : null,
    }
  }

  /** How many cases `queue` would list over all pages. */
  async queueCount(filter: ReviewQueueFilter): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(inspections)
      .where(and(...queueConditions(filter)))
    return Number(row?.n ?? 0)
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

function queueConditions(filter: ReviewQueueFilter): SQL[] {
  const conditions: SQL[] = [
    reviewCandidate(inspections),
    sql`not exists (select 1 from ${reviews} where ${reviews.inspectionId} = ${inspections.id})`,
  ]
  if (filter.lineId !== undefined) conditions.push(eq(inspections.lineId, filter.lineId))
  if (filter.plantId !== undefined) conditions.push(eq(inspections.plantId, filter.plantId))
  if (filter.plantIds !== undefined) {
    conditions.push(
      filter.plantIds.length === 0 ? sql`false` : inArray(inspections.plantId, [...filter.plantIds]),
    )
  }
  return conditions
}
