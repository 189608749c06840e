import { inArray } from 'drizzle-orm'
import type { Database } from '../database.ts'
import { inspectionImages } from '../schema.ts'
import { assertUuid } from './inspections.repository.ts'

export type InspectionImageRow = typeof inspectionImages.$inferSelect

/**
 * Small images of what the cloud saw, one per inspection (no foreign key: the escalation that
 * carries the image may be read before the result that creates the inspection).
 */
export class InspectionImagesRepository {
  constructor(private readonly db: Database) {}

  /** Stores the image unless one is stored already (the first one stays): idempotent on the id. */
  async put(image: { inspectionId: string; mime: string; bytes: Buffer }): Promise<void> {
    assertUuid(image.inspectionId, 'inspectionId')
    await this.db
      .insert(inspectionImages)
      .values({ ...image, createdAt: new Date() })
      .onConflictDoNothing()
  }

  /** Images of several inspections in one query; ids without one are absent. */
  async getMany(inspectionIds: readonly string[]): Promise<Map<string, InspectionImageRow>> {
    for (const id of inspectionIds) assertUuid(id, 'inspectionId')
    if (inspectionIds.length === 0) return new Map()
    const rows = await this.db
      .select()
      .from(inspectionImages)
      .where(inArray(inspectionImages.inspectionId, [...inspectionIds]))
    return new Map(rows.map((r) => [r.inspectionId, r]))
  }
}
