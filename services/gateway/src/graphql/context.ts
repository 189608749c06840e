import type { LineRow, PlantRow, ReviewRow, Storage } from '../../../../lib/db/index.ts'
import { BatchLoader } from './internal/batch-loader.ts'

/** What every resolver sees; built fresh for each request. */
export type GatewayContext = {
  storage: Storage
  /** Largest `first` a paginated field accepts. */
  maxPageSize: number
  lines: BatchLoader<string, LineRow | undefined>
  plants: BatchLoader<string, PlantRow | undefined>
  reviews: BatchLoader<string, ReviewRow[]>
}

export function createContext(storage: Storage, maxPageSize: number): GatewayContext {
  return {
    storage,
    maxPageSize,
    lines: new BatchLoader(
      async (ids) => new Map((await storage.lines.getMany(ids)).map((l) => [l.id, l])),
      () => undefined,
    ),
    plants: new BatchLoader(
      async (ids) => new Map((await storage.plants.getMany(ids)).map((p) => [p.id, p])),
      () => undefined,
    ),
    reviews: new BatchLoader(
      (ids) => storage.reviews.listForMany(ids),
      () => [],
    ),
  }
}
