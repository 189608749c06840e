import type { Logger } from '../log/index.ts'
import type { Database, DriverHandle } from './database.ts'
import { openPglite } from './drivers/pglite.driver.ts'
import { openPostgres } from './drivers/postgres.driver.ts'
import { DbError } from './errors.ts'
import { ApiKeysRepository } from './repositories/api-keys.repository.ts'
import { CostLedgerRepository } from './repositories/cost-ledger.repository.ts'
import { EdgeInspectionsRepository } from './repositories/edge-inspections.repository.ts'
import { EdgeOutboxRepository } from './repositories/edge-outbox.repository.ts'
import { InspectionImagesRepository } from './repositories/inspection-images.repository.ts'
import { InspectionStatsRepository } from './repositories/inspection-stats.repository.ts'
import { InspectionsRepository } from './repositories/inspections.repository.ts'
import { LinesRepository } from './repositories/lines.repository.ts'
import { ModelsRepository } from './repositories/models.repository.ts'
import { PlantsRepository } from './repositories/plants.repository.ts'
import { PoliciesRepository } from './repositories/policies.repository.ts'
import { ReviewsRepository } from './repositories/reviews.repository.ts'
import { ScalingReportsRepository } from './repositories/scaling-reports.repository.ts'

/** Where the data lives. */
export type StorageTarget =
  | { driver: 'postgres'; url: string }
  /** Embedded PGlite with files under `<dataDir>/pglite`. */
  | { driver: 'pglite'; dataDir: string }
  /** Embedded PGlite in memory: gone on close (tests). */
  | { driver: 'pglite-memory' }

/** `DATABASE_URL` set: PostgreSQL; absent: embedded PGlite under `TOKENLINE_DATA_DIR`. */
export function storageTarget(databaseUrl: string | undefined, dataDir: string): StorageTarget {
  return databaseUrl ? { driver: 'postgres', url: databaseUrl } : { driver: 'pglite', dataDir }
}

export type OpenStorageOptions = {
  log?: Logger
  /** Names this process in the PGlite lock file, e.g. `gateway`; default `tokenline`. */
  owner?: string
  /** PostgreSQL connection attempts with backoff before DB_UNREACHABLE; default 10 (≈ 25 s). */
  connectAttempts?: number
  /** PostgreSQL pool size; default 10. */
  poolMax?: number
  /** PostgreSQL `statement_timeout` of the pool's connections (ms; migrations run without it); default none. */
  statementTimeoutMs?: number
  /**
   * PostgreSQL client-side limit per query (ms): a server that stops answering fails the query
   * instead of holding a pool connection forever; default statementTimeoutMs + 5 s, else 60 s; 0 = none.
   */
  queryTimeoutMs?: number
}

export type Storage = {
  driver: DriverHandle['driver']
  location: string
  plants: PlantsRepository
  lines: LinesRepository
  models: ModelsRepository
  policies: PoliciesRepository
  inspections: InspectionsRepository
  reviews: ReviewsRepository
  scalingReports: ScalingReportsRepository
  costLedger: CostLedgerRepository
  edgeInspections: EdgeInspectionsRepository
  edgeOutbox: EdgeOutboxRepository
  apiKeys: ApiKeysRepository
  inspectionImages: InspectionImagesRepository
  inspectionStats: InspectionStatsRepository
  /**
   * Runs `fn` in one transaction over repositories bound to it: everything it writes commits
   * together or not at all (a throw rolls back and rethrows).
   */
  transaction: <T>(fn: (tx: Repositories) => Promise<T>) => Promise<T>
  /** Resolves when the database answers a trivial query. */
  ping: () => Promise<void>
  close: () => Promise<void>
}

/** The repositories, as the storage holds them and as a transaction hands them out. */
export type Repositories = Omit<Storage, 'driver' | 'location' | 'transaction' | 'ping' | 'close'>

function repositories(db: Database, knownLines: Map<string, string>): Repositories {
  return {
    plants: new PlantsRepository(db),
    lines: new LinesRepository(db),
    models: new ModelsRepository(db),
    policies: new PoliciesRepository(db),
    inspections: new InspectionsRepository(db, knownLines),
    reviews: new ReviewsRepository(db),
    scalingReports: new ScalingReportsRepository(db),
    costLedger: new CostLedgerRepository(db),
    edgeInspections: new EdgeInspectionsRepository(db),
    edgeOutbox: new EdgeOutboxRepository(db),
    apiKeys: new ApiKeysRepository(db),
    inspectionImages: new InspectionImagesRepository(db),
    inspectionStats: new InspectionStatsRepository(db),
  }
}

/**
 * Opens the database (waiting with backoff for a PostgreSQL that comes up late), applies
 * `migrations/`, and returns the repositories. Fails with DB_UNREACHABLE, DB_LOCKED or
 * DB_MIGRATION_FAILED.
 */
export async function openStorage(target: StorageTarget, options: OpenStorageOptions = {}): Promise<Storage> {
  const handle =
    target.driver === 'postgres'
      ? await openPostgres(target.url, options)
      : await openPglite(target.driver === 'pglite' ? target.dataDir : null, options.owner ?? 'tokenline')
  try {
    await handle.migrate()
  } catch (err) {
    await handle.close().catch(() => undefined)
    throw new DbError(
      'DB_MIGRATION_FAILED',
      `applying migrations to ${handle.location} failed: ${describeCause(err)}`,
      false,
      { cause: err },
    )
  }
  options.log?.info({ driver: handle.driver, database: handle.location }, 'storage ready')
  const db = handle.db
  const knownLines = new Map<string, string>()
  return {
    driver: handle.driver,
    location: handle.location,
    ...repositories(db, knownLines),
    transaction: (fn) => handle.transaction((tx) => fn(repositories(tx, knownLines))),
    ping: handle.ping,
    close: handle.close,
  }
}

function describeCause(err: unknown): string {
  const parts: string[] = []
  for (let e: unknown = err; e && parts.length < 3; e = (e as { cause?: unknown }).cause) {
    if (e instanceof Error && e.message) parts.push(e.message)
  }
  return parts.join(': ') || String(err)
}
