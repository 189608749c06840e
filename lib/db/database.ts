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
  /**
   * Runs `fn` in one transaction on one connection: everything it writes commits together or not
   * at all. The PostgreSQL driver decides itself whether that connection may go back to the pool
   * (see postgres.driver.ts).
   */
  transaction: <T>(fn: (tx: Database) => Promise<T>) => Promise<T>
  migrate: () => Promise<void>
  ping: () => Promise<void>
  close: () => Promise<void>
}
