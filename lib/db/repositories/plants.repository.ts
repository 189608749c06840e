import { asc, eq, inArray } from 'drizzle-orm'
import type { Database } from '../database.ts'
import { plants } from '../schema.ts'

export type PlantRow = typeof plants.$inferSelect

export class PlantsRepository {
  constructor(private readonly db: Database) {}

  /** Creates the plant or renames it; returns the stored row. */
  async upsert(plant: { id: string; name: string }): Promise<PlantRow> {
    const [row] = await this.db
      .insert(plants)
      .values(plant)
      .onConflictDoUpdate({ target: plants.id, set: { name: plant.name } })
      .returning()
    return row!
  }

  /** Creates the plant; undefined when one with that id exists (nothing is changed then). */
  async create(plant: { id: string; name: string }): Promise<PlantRow | undefined> {
    const [row] = await this.db
      .insert(plants)
      .values(plant)
      .onConflictDoNothing({ target: plants.id })
      .returning()
    return row
  }

  /** Plants by id; only those of `plantIds` when given. Awaited here: a drizzle builder runs its SQL at every `.then()`. */
  async list(filter: { plantIds?: readonly string[] } = {}): Promise<PlantRow[]> {
    if (filter.plantIds?.length === 0) return []
    const query = this.db.select().from(plants)
    return await (filter.plantIds ? query.where(inArray(plants.id, [...filter.plantIds])) : query).orderBy(
      asc(plants.id),
    )
  }

  async get(id: string): Promise<PlantRow | undefined> {
    const [row] = await this.db.select().from(plants).where(eq(plants.id, id))
    return row
  }

  async getMany(ids: readonly string[]): Promise<PlantRow[]> {
    if (ids.length === 0) return []
    return this.db
      .select()
      .from(plants)
      .where(inArray(plants.id, [...ids]))
  }
}
