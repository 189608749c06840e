import { and, desc, eq, inArray, sql } from 'drizzle-orm'
import type { Database } from '../database.ts'
import { DbError } from '../errors.ts'
import { sqlState } from '../internal/sql-state.ts'
import { policies } from '../schema.ts'

export type PolicyRow = typeof policies.$inferSelect

export type PolicyChange = {
  lineId: string
  author: string
  reason: string
  /** The policy document; its shape is validated by the policy contract before it gets here. */
  body: Record<string, unknown>
}

/** Concurrent appends to one line race for the same version; the loser retries this many times. */
const APPEND_ATTEMPTS = 5

/** Versioned policies: every change appends version n+1; nothing is updated in place. */
export class PoliciesRepository {
  constructor(private readonly db: Database) {}

  append(change: PolicyChange): Promise<PolicyRow> {
    return this.insertNext(change, null)
  }

  /** Appends a new version whose body is a copy of `toVersion`'s. */
  async rollback(lineId: string, toVersion: number, author: string, reason: string): Promise<PolicyRow> {
    const target = await this.get(lineId, toVersion)
    if (!target) {
      throw new DbError('DB_NOT_FOUND', `line ${lineId} has no policy version ${toVersion} to roll back to`)
    }
    return this.insertNext({ lineId, author, reason, body: target.body }, toVersion)
  }

  async current(lineId: string): Promise<PolicyRow | undefined> {
    const [row] = await this.db
      .select()
      .from(policies)
      .where(eq(policies.lineId, lineId))
      .orderBy(desc(policies.version))
      .limit(1)
    return row
  }

  /** The current (highest) version of each line's policy, in one statement; lines without one are absent. */
  async currentForMany(lineIds: readonly string[]): Promise<Map<string, PolicyRow>> {
    if (lineIds.length === 0) return new Map()
    const rows = await this.db
      .selectDistinctOn([policies.lineId])
      .from(policies)
      .where(inArray(policies.lineId, [...lineIds]))
      .orderBy(policies.lineId, desc(policies.version))
    return new Map(rows.map((row) => [row.lineId, row]))
  }

  async get(lineId: string, version: number): Promise<PolicyRow | undefined> {
    const [row] = await this.db
      .select()
      .from(policies)
      .where(and(eq(policies.lineId, lineId), eq(policies.version, version)))
    return row
  }

  /** Newest first. */
  async history(lineId: string, limit = 100): Promise<PolicyRow[]> {
    return await this.db
      .select()
      .from(policies)
      .where(eq(policies.lineId, lineId))
      .orderBy(desc(policies.version))
      .limit(limit)
  }

  private async insertNext(change: PolicyChange, rolledBackTo: number | null): Promise<PolicyRow> {
    for (let attempt = 1; ; attempt++) {
      try {
        const [row] = await this.db
          .insert(policies)
          .values({
            lineId: change.lineId,
            version: sql`(select coalesce(max(${policies.version}), 0) + 1 from ${policies} where ${policies.lineId} = ${change.lineId})`,
            author: change.author,
            reason: change.reason,
            body: change.body,
            rolledBackTo,
          })
          .returning()
        return row!
      } catch (err) {
        if (sqlState(err) === '23505' && attempt < APPEND_ATTEMPTS) continue
        if (sqlState(err) === '23503') {
          throw new DbError(
            'DB_NOT_FOUND',
            `no line ${JSON.stringify(change.lineId)} to attach a policy to`,
            false,
            {
              cause: err,
            },
          )
        }
        throw err
      }
    }
  }
}
