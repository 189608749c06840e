import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { drizzle } from 'drizzle-orm/pglite'
import { migrate } from 'drizzle-orm/pglite/migrator'
import type { Database, DriverHandle } from '../database.ts'
import { DbError } from '../errors.ts'
import { migrationsFolder } from '../migrations-folder.ts'
import * as schema from '../schema.ts'
import { acquirePgliteLock } from './pglite.lock.ts'

/**
 * Embedded PostgreSQL (PGlite, WASM) in this process. `dataDir` null keeps everything in memory
 * (tests); otherwise files live under `<dataDir>/pglite`, guarded by a lock file.
 */
export async function openPglite(dataDir: string | null, owner: string): Promise<DriverHandle> {
  const dir = dataDir === null ? null : join(dataDir, 'pglite')
  const lock = dir === null ? undefined : acquirePgliteLock(dir, owner)
  let client: PGlite
  try {
    client = dir === null ? new PGlite() : new PGlite(dir)
    await client.waitReady
  } catch (err) {
    lock?.release()
    throw new DbError(
      'DB_UNREACHABLE',
      `could not open the embedded database at ${dir ?? 'memory'}: ${(err as Error).message}`,
      false,
      { cause: err },
    )
  }
  const db = drizzle({ client, schema })
  return {
    driver: 'pglite',
    location: dir ?? 'memory',
    db,
    // One connection in all: drizzle's own transaction is all it needs.
    transaction: (fn) => db.transaction((tx) => fn(tx as unknown as Database)),
    migrate: () => migrate(db, { migrationsFolder }),
    ping: async () => {
      await client.query('select 1')
    },
    close: async () => {
      try {
        await client.close()
      } finally {
        lock?.release()
      }
    },
  }
}
