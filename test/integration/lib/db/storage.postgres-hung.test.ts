import { type AddressInfo, createServer, type Server, type Socket, connect as tcpConnect } from 'node:net'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryTimeoutFor } from '../../../../lib/db/drivers/postgres.driver.ts'
import { openStorage, type Storage } from '../../../../lib/db/index.ts'
import type { ScratchDatabase } from '../../../../scripts/internal/system/scratch-database.ts'
import { createTestDatabase } from './postgres-test-database.ts'

/**
 * A TCP relay in front of the real PostgreSQL that can freeze: while frozen it keeps every
 * connection open but passes no byte either way and leaves new connections unanswered — what a
 * stopped server process (SIGSTOP) or a network black hole looks like to the client. No RST, no
 * FIN: nothing tells the client to give up.
 */
class FreezingRelay {
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()
  private frozen = false
  private readonly waiting: Array<() => void> = []

  constructor(private readonly upstream: { host: string; port: number }) {}

  async start(): Promise<number> {
    const server = createServer((client) => this.accept(client))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    this.server = server
    return (server.address() as AddressInfo).port
  }

  freeze(): void {
    this.frozen = true
    for (const socket of this.sockets) socket.pause()
  }

  thaw(): void {
    this.frozen = false
    for (const socket of this.sockets) socket.resume()
    for (const open of this.waiting.splice(0)) open()
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve())
  }

  private accept(client: Socket): void {
    this.sockets.add(client)
    client.on('close', () => this.sockets.delete(client))
    client.on('error', () => undefined)
    client.pause()
    const open = () => {
      const upstream = tcpConnect(this.upstream)
      this.sockets.add(upstream)
      upstream.on('close', () => {
        this.sockets.delete(upstream)
        client.destroy()
      })
      upstream.on('error', () => client.destroy())
      client.on('close', () => upstream.destroy())
      client.pipe(upstream)
      upstream.pipe(client)
      client.resume()
    }
    if (this.frozen) this.waiting.push(() => !client.destroyed && open())
    else open()
  }
}

/** The error's message and its causes' (drizzle wraps pg's error as "Failed query: …" with a cause). */
function messageChain(err: unknown): string {
  const messages: string[] = []
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    messages.push(e instanceof Error ? e.message : String(e))
  }
  return messages.join(' <- ')
}

// Before queryTimeoutMs, a query to a PostgreSQL that stopped answering never settled: each one
// held a pool connection forever, so the gateway's ingest and every resolver waited without end
// (the HTTP deadline answered the client, but the connections stayed taken). Tried here: one
// plain query, a transaction, and more concurrent queries than the pool has connections, all
// while the server is frozen; then the server comes back.
describe('PostgreSQL that stops answering (frozen server, no RST)', () => {
  let database: ScratchDatabase
  let relay: FreezingRelay
  let storage: Storage
  let admin: pg.Client
  const queryTimeoutMs = 800
  const poolMax = 3

  /** Sessions of the storage's pool on the server (the admin connection excluded), by state. */
  async function poolSessions(): Promise<string[]> {
    const { rows } = await admin.query<{ state: string }>(
      'select state from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [database.name],
    )
    return rows.map((row) => row.state)
  }

  beforeAll(async () => {
    database = await createTestDatabase()
    admin = new pg.Client({ connectionString: database.url })
    await admin.connect()
    const target = new URL(database.url)
    relay = new FreezingRelay({ host: target.hostname, port: Number(target.port || 5432) })
    target.port = String(await relay.start())
    storage = await openStorage({ driver: 'postgres', url: target.toString() }, { poolMax, queryTimeoutMs })
  })

  afterAll(async () => {
    relay.thaw()
    await storage?.close().catch(() => undefined)
    await relay?.stop()
    await admin?.end().catch(() => undefined)
    await database?.drop()
  })

  it('fails each query and transaction after the client-side limit instead of hanging, and the pool works again once the server answers', async () => {
    // Every connection of the pool open and idle, so each call below sends its statement (a
    // transaction its `begin`) into the frozen link rather than waiting for a new connection.
    await Promise.all(Array.from({ length: poolMax }, () => storage.ping()))
    relay.freeze()
    const started = Date.now()
    const outcomes = await Promise.allSettled([
      storage.ping(),
      storage.plants.list(),
      storage.transaction((tx) => tx.plants.list()),
    ])
    const elapsedMs = Date.now() - started
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected')
      expect(messageChain((outcome as PromiseRejectedResult).reason)).toContain('Query read timeout')
    }
    // Bounded, not hanging: one query limit, with slack for a loaded machine.
    expect(elapsedMs).toBeLessThan(queryTimeoutMs + 4000)
    // Another caller while frozen: every abandoned connection was destroyed, so it waits for a new
    // one (the pool's connect limit, 5 s) instead of inheriting a dead one.
    await expect(storage.plants.list()).rejects.toThrow()

    relay.thaw()
    // All connections usable again, none left inside a transaction (before the fix the
    // transaction whose `begin` timed out kept its connection checked out for good).
    const again = await Promise.allSettled(Array.from({ length: poolMax }, () => storage.plants.list()))
    expect(again.map((o) => o.status)).toEqual(Array(poolMax).fill('fulfilled'))
    expect(await poolSessions()).not.toContain('idle in transaction')
  }, 30_000)

  it('never hands on a connection whose transaction outlived the limit: the late write is not committed by the next caller', async () => {
    // A lock makes the transaction's write wait past the limit; the server is fine, only slow.
    await admin.query('begin')
    await admin.query('lock table plants in access exclusive mode')
    const slow = storage.transaction((tx) =>
      tx.plants.upsert({ id: 'late', name: 'written after the limit' }),
    )
    await expect(slow).rejects.toThrow()
    await admin.query('commit')
    // The abandoned upsert now runs on the server. Had its connection gone back to the pool (as
    // drizzle's own transaction does), it would sit there inside the open transaction and the
    // next caller's writes would join it.
    await new Promise((resolve) => setTimeout(resolve, 300))
    await Promise.all(
      Array.from({ length: poolMax }, () => storage.plants.upsert({ id: 'next', name: 'next caller' })),
    )
    expect(await poolSessions()).not.toContain('idle in transaction')
    const { rows } = await admin.query<{ id: string }>(
      'select id from plants where id in ($1, $2) order by id',
      ['late', 'next'],
    )
    expect(rows.map((row) => row.id)).toEqual(['next'])
  }, 30_000)

  it('defaults: statement_timeout + 5 s when one is set, else 60 s; 0 turns it off', () => {
    expect(queryTimeoutFor({ statementTimeoutMs: 10_000 })).toBe(15_000)
    expect(queryTimeoutFor({})).toBe(60_000)
    expect(queryTimeoutFor({ statementTimeoutMs: 10_000, queryTimeoutMs: 0 })).toBe(0)
  })
})
