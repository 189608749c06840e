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
  /**
   * Client-side limit per query (ms): a query the server has not answered by then is abandoned
   * with "Query read timeout" and, outside a transaction, its connection is destroyed. The
   * server-side statement_timeout cannot end a query when the server itself stopped answering
   * (frozen process, network black hole): without this limit each such query would hold a pool
   * connection forever and the pool would stay exhausted after the server came back. Default:
   * statementTimeoutMs + 5 s when that is set (the server's cancel, with its own code, comes
   * first), else 60 s; 0 = none. Migrations run on a connection of their own without it.
   */
  queryTimeoutMs?: number
  log?: Logger
}

/** Arbitrary constant so concurrent starters (gateway, import CLI) migrate one at a time. */
const MIGRATION_LOCK_KEY = 7_301_994_202

/** Margin of the client-side query limit over the server's statement_timeout (ms). */
const QUERY_TIMEOUT_MARGIN_MS = 5000
/** Client-side query limit without a statement_timeout (ms): far above any query the services run. */
const DEFAULT_QUERY_TIMEOUT_MS = 60_000

/** The client-side query limit in effect for these options (ms; 0 = none). */
export function queryTimeoutFor(
  options: Pick<PostgresOptions, 'statementTimeoutMs' | 'queryTimeoutMs'>,
): number {
  if (options.queryTimeoutMs !== undefined) return options.queryTimeoutMs
  return options.statementTimeoutMs
    ? options.statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS
    : DEFAULT_QUERY_TIMEOUT_MS
}

/** SQLSTATEs worth waiting for: the server is starting, shutting down or out of connections. */
const retriableSqlStates = new Set(['57P03', '57P01', '53300', '08000', '08001', '08003', '08006'])

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<DriverHandle> {
  const location = redact(url)
  const queryTimeoutMs = queryTimeoutFor(options)
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: 5000,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    ...(queryTimeoutMs > 0 ? { query_timeout: queryTimeoutMs } : {}),
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
    // drizzle's own transaction on a Pool sends `begin` before its try (a `begin` that times out
    // never releases the connection: leaked for good) and releases without an error after a
    // failed rollback (a statement that timed out leaves the connection inside the transaction,
    // with the rollback never sent: the next caller's writes would land in that open transaction).
    // Here the connection goes back to the pool only when the server last said it is idle and no
    // query on it was abandoned; otherwise it is destroyed.
    transaction: async (fn) => {
      const client = await pool.connect()
      let failure: unknown
      try {
        return await drizzle({ client, schema }).transaction((tx) => fn(tx as unknown as typeof db))
      } catch (err) {
        failure = err
        throw err
      } finally {
        const reusable = client.getTransactionStatus() === 'I' && !abandoned(failure)
        client.release(reusable ? undefined : true)
      }
    },
    migrate: async () => {
      // A connection of its own, without the pool's statement_timeout and query limit: building
      // an index or backfilling a rollup over millions of rows may take longer than any query should.
      // No client-side limit either: a server that stops answering holds the start, which fails
      // only when the process is stopped (the services cannot run without their schema anyway).
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
      client.on('error', (err) => options.log?.warn({ err }, 'PostgreSQL migration connection failed'))
      await client.connect()
      try {
        // A statement_timeout set for the role or database (ALTER … SET, PGOPTIONS) would still apply.
        await client.query('set statement_timeout = 0')
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
        await migrate(drizzle({ client, schema }), { migrationsFolder })
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined)
        await client.end().catch(() => undefined)
      }
    },
    ping: async () => {
      await pool.query('select 1')
    },
    close: () => pool.end(),
  }
}

/** pg's message for a query given up after `query_timeout`; the server may still be running it. */
const QUERY_READ_TIMEOUT = 'Query read timeout'

function abandoned(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof Error && e.message === QUERY_READ_TIMEOUT) return true
  }
  return false
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
