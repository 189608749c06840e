import { and, asc, eq, inArray } from 'drizzle-orm'
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

  /**
   * Lines by id; only one plant's with `plantId`, only those of `plantIds` when given (an empty list
   * matches nothing). Awaited here: a drizzle builder handed out runs its SQL at every `.then()`.
   */
  async list(filter: { plantId?: string; plantIds?: readonly string[] } = {}): Promise<LineRow[]> {
    if (filter.plantIds?.length === 0) return []
    const conditions = []
    if (filter.plantId !== undefined) conditions.push(eq(lines.plantId, filter.plantId))
    if (filter.plantIds !== undefined) conditions.push(inArray(lines.plantId, [...filter.plantIds]))
    return await this.db
      .select()
      .from(lines)
      .where(and(...conditions))
      .orderBy(asc(lines.id))
  }

  /** The lines of each plant (by id), in one query. */
  async listForPlants(plantIds: readonly string[]): Promise<Map<string, LineRow[]>> {
    const byPlant = new Map<string, LineRow[]>()
    if (plantIds.length === 0) return byPlant
    const rows = await this.db
      .select()
      .from(lines)
      .where(inArray(lines.plantId, [...plantIds]))
      .orderBy(asc(lines.id))
    for (const row of rows) byPlant.set(row.plantId, [...(byPlant.get(row.plantId) ?? []), row])
    return byPlant
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
