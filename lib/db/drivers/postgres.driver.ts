import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import type { Logger } from '../../log/index.ts'
import { withRetry } from '../../retry/index.ts'
import type { DriverHandle } from '../database.ts'
import { DbError } from '../errors.ts'
import { migrationsFolder } from '../migrations-folder.ts'
import * as schema from '../schema.ts'

export type PostgresOptions = {
  /** Connection attempts before giving up with DB_UNREACHABLE; default 10 (≈ 25 s with backoff). */
  connectAttempts?: number
  /** Pool size; default 10. */
  poolMax?: number
  /** `statement_timeout` of every connection (ms): a statement running longer is cancelled (57014); default none. */
  statementTimeoutMs?: number
  log?: Logger
}

/** Arbitrary constant so concurrent starters (gateway, import CLI) migrate one at a time. */
const MIGRATION_LOCK_KEY = 7_301_994_202

/** SQLSTATEs worth waiting for: the server is starting, shutting down or out of connections. */
const retriableSqlStates = new Set(['57P03', '57P01', '53300', '08000', '08001', '08003', '08006'])

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<DriverHandle> {
  const location = redact(url)
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: 5000,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
  })
  pool.on('error', (err) => options.log?.warn({ err }, 'idle PostgreSQL connection failed'))
  // A connection the server drops while checked out (restart, pg_terminate_backend) emits 'error'
  // on the client, which pg-pool does not handle then: without a listener it would crash the
  // process. The query in flight still rejects, and callers retry it.
  pool.on('connect', (client) => {
    client.on('error', (err) => options.log?.warn({ err }, 'PostgreSQL connection failed while in use'))
  })
  try {
    await withRetry(() => pool.query('select 1'), {
      attempts: options.connectAttempts ?? 10,
      shouldRetry: isRetriableConnectError,
      onRetry: (err, attempt, delayMs) =>
        options.log?.warn(
          { attempt, delayMs, reason: (err as Error).message, database: location },
          'database not reachable yet, retrying',
        ),
    })
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw new DbError(
      'DB_UNREACHABLE',
      `could not connect to PostgreSQL at ${location}: ${(err as Error).message || String(err)}`,
      isRetriableConnectError(err),
      { cause: err },
    )
  }
  const db = drizzle({ client: pool, schema })
  return {
    driver: 'postgres',
    location,
    db,
    migrate: async () => {
      const client = await pool.connect()
      try {
        // Building an index over millions of rows may take longer than any query should.
        await client.query('set statement_timeout = 0')
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
        await migrate(drizzle({ client, schema }), { migrationsFolder })
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined)
        // Destroyed rather than returned: it no longer has the pool's statement_timeout.
        client.release(true)
      }
    },
    ping: async () => {
      await pool.query('select 1')
    },
    close: () => pool.end(),
  }
}

function isRetriableConnectError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  if (typeof code !== 'string') return (err as Error).message?.includes('timeout') ?? false
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code) ||
    retriableSqlStates.has(code)
  )
}

/** The URL without its password, for logs and error messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'postgres://(unparseable URL)'
  }
}
