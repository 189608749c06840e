import { asc, eq } from 'drizzle-orm'
import type { ModelManifestV1 } from '../../contracts/model-manifest.v1.ts'
import type { Database } from '../database.ts'
import { type ModelRole, models } from '../schema.ts'

export type ModelRow = typeof models.$inferSelect

export class ModelsRepository {
  constructor(private readonly db: Database) {}

  /** Registers a validated manifest under its name; a re-registration replaces the stored one. */
  async register(manifest: ModelManifestV1): Promise<ModelRow> {
    const values = {
      name: manifest.name,
      role: manifest.role,
      sha256: manifest.sha256,
      labels: manifest.labels,
      patchSize: manifest.patchSize,
      budgets: manifest.budgets,
      manifest: manifest as unknown as Record<string, unknown>,
    }
    const [row] = await this.db
      .insert(models)
      .values(values)
      .onConflictDoUpdate({ target: models.name, set: { ...values, updatedAt: new Date() } })
      .returning()
    return row!
  }

  /** Awaited here: a drizzle builder handed out runs its SQL at every `.then()`. */
  async list(filter: { role?: ModelRole } = {}): Promise<ModelRow[]> {
    const query = this.db.select().from(models)
    return await (filter.role ? query.where(eq(models.role, filter.role)) : query).orderBy(asc(models.name))
  }

  async get(name: string): Promise<ModelRow | undefined> {
    const [row] = await this.db.select().from(models).where(eq(models.name, name))
    return row
  }
}
