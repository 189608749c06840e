import { asc, eq, inArray } from 'drizzle-orm'
import type { Database } from '../database.ts'
import { DbError } from '../errors.ts'
import { sqlState } from '../internal/sql-state.ts'
import { lines, plants } from '../schema.ts'

export type LineRow = typeof lines.$inferSelect

export class LinesRepository {
  constructor(private readonly db: Database) {}

  /** Creates the line (and its plant if missing, named after its id) or renames it. */
  async upsert(line: { id: string; plantId: string; name: string }): Promise<LineRow> {
    return this.db.transaction(async (tx) => {
      await tx.insert(plants).values({ id: line.plantId, name: line.plantId }).onConflictDoNothing()
      const [existing] = await tx.select().from(lines).where(eq(lines.id, line.id))
      if (existing && existing.plantId !== line.plantId) {
        throw new DbError(
          'DB_INPUT_INVALID',
          `line ${line.id} belongs to plant ${existing.plantId}; received plantId ${JSON.stringify(line.plantId)}`,
        )
      }
      const [row] = await tx
        .insert(lines)
        .values(line)
        .onConflictDoUpdate({ target: lines.id, set: { name: line.name } })
        .returning()
      return row!
    })
  }

  /**
   * Creates the line under an existing plant; undefined when a line with that id exists (nothing
   * is changed then), DB_NOT_FOUND when the plant does not exist.
   */
  async create(line: {
    id: string
    plantId: string
    name: string
    edgeUrl?: string | null
  }): Promise<LineRow | undefined> {
    try {
      const [row] = await this.db
        .insert(lines)
        .values(line)
        .onConflictDoNothing({ target: lines.id })
        .returning()
      return row
    } catch (err) {
      if (sqlState(err) === '23503') {
        throw new DbError(
          'DB_NOT_FOUND',
          `no plant ${JSON.stringify(line.plantId)} to add line ${line.id} to`,
          false,
          {
            cause: err,
          },
        )
      }
      throw err
    }
  }

  list(filter: { plantId?: string } = {}): Promise<LineRow[]> {
    const query = this.db.select().from(lines)
    return (filter.plantId ? query.where(eq(lines.plantId, filter.plantId)) : query).orderBy(asc(lines.id))
  }

  async get(id: string): Promise<LineRow | undefined> {
    const [row] = await this.db.select().from(lines).where(eq(lines.id, id))
    return row
  }

  async getMany(ids: readonly string[]): Promise<LineRow[]> {
    if (ids.length === 0) return []
    return this.db
      .select()
      .from(lines)
      .where(inArray(lines.id, [...ids]))
  }
}
