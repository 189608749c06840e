import type {
  LineRow,
  PlantRow,
  PolicyRow,
  ReviewRow,
  Storage,
  StoredScalingReport,
} from '../../../../lib/db/index.ts'
import type { Principal } from '../auth/principal.ts'
import type { EdgeClient } from '../edge/edge.client.ts'
import type { GatewayEvents } from '../events/gateway-events.ts'
import type { ReplayService } from '../replay/replay.service.ts'
import { BatchLoader } from './internal/batch-loader.ts'
import type { Deadline } from './limits/deadline.ts'
import type { ResponseCacheSlot } from './response-cache.plugin.ts'

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
  /** Lines' edge nodes: submitInspection forwards images there. */
  edge: EdgeClient
  /** A plant's lines, by plant id. */
  linesByPlant: BatchLoader<string, LineRow[]>
  /** A model's scaling reports (newest first), by model name. */
  reportsByModel: BatchLoader<string, StoredScalingReport[]>
  /** A line's current policy version, by line id (one statement for every line of a page). */
  currentPolicies: BatchLoader<string, PolicyRow | undefined>
  /** The request's time limit (GATEWAY_REQUEST_TIMEOUT_MS); set per request by the limits plugin. */
  deadline?: Deadline
  /** Set by the HTTP handler: which kept answer this request stored or was served (response cache). */
  responseCache?: ResponseCacheSlot
  /** Policy frontier, recommendation and replay (calibration records cached across requests). */
  replay: ReplayService
}

export function createContext(
  storage: Storage,
  maxPageSize: number,
  principal: Principal,
  events: GatewayEvents,
  edge: EdgeClient,
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
    edge,
    linesByPlant: new BatchLoader(
      (plantIds) => storage.lines.listForPlants(plantIds),
      () => [],
    ),
    reportsByModel: new BatchLoader(
      (models) => storage.scalingReports.listForModels(models),
      () => [],
    ),
    currentPolicies: new BatchLoader(
      (lineIds) => storage.policies.currentForMany(lineIds),
      () => undefined,
    ),
  }
}
