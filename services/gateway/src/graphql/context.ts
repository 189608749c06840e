import type { LineRow, PlantRow, ReviewRow, Storage } from '../../../../lib/db/index.ts'
import type { Principal } from '../auth/principal.ts'
import type { GatewayEvents } from '../events/gateway-events.ts'
import type { ReplayService } from '../replay/replay.service.ts'
import { BatchLoader } from './internal/batch-loader.ts'

/** What every resolver sees; built fresh for each request (and each subscription). */
export type GatewayContext = {
  storage: Storage
  /** The verified API key of the request; resolvers scope every read and write to its plants. */
  principal: Principal
  events: GatewayEvents
  /** Largest `first` a paginated field accepts. */
  maxPageSize: number
  lines: BatchLoader<string, LineRow | undefined>
  plants: BatchLoader<string, PlantRow | undefined>
  reviews: BatchLoader<string, ReviewRow[]>
  /** Policy frontier, recommendation and replay (calibration records cached across requests). */
  replay: ReplayService
}

export function createContext(
  storage: Storage,
  maxPageSize: number,
  principal: Principal,
  events: GatewayEvents,
  replay: ReplayService,
): GatewayContext {
  return {
    replay,
    storage,
    principal,
    events,
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
