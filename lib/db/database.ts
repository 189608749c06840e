import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type * as schema from './schema.ts'

/** A drizzle database over the one schema, whichever driver is behind it. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>

/** What a driver hands to the storage: the database plus how to migrate, check and close it. */
export type DriverHandle = {
  driver: 'pglite' | 'postgres'
  /** Where the data lives, for logs: a directory, `memory`, or the URL without its password. */
  location: string
  db: Database
  migrate: () => Promise<void>
  ping: () => Promise<void>
  close: () => Promise<void>
}
