import { type AddressInfo, createServer, type Server, type Socket, connect as tcpConnect } from 'node:net'
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
      if (this.frozen) upstream.pause()
      else client.resume()
    }
    if (this.frozen) this.waiting.push(open)
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
  const queryTimeoutMs = 800

  beforeAll(async () => {
    database = await createTestDatabase()
    const target = new URL(database.url)
    relay = new FreezingRelay({ host: target.hostname, port: Number(target.port || 5432) })
    target.port = String(await relay.start())
    storage = await openStorage(
      { driver: 'postgres', url: target.toString() },
      { poolMax: 2, queryTimeoutMs },
    )
  })

  afterAll(async () => {
    relay.thaw()
    await storage?.close().catch(() => undefined)
    await relay?.stop()
    await database?.drop()
  })

  it('fails each query after the client-side limit instead of hanging, and works again once the server answers', async () => {
    await storage.ping()
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
      // Each is either the query limit or, for the one that found both connections taken, the
      // pool's connect limit (5 s): both are errors the callers treat as "retry later".
      expect(messageChain((outcome as PromiseRejectedResult).reason)).toMatch(
        /Query read timeout|timeout exceeded when trying to connect|Connection terminated/,
      )
    }
    // Bounded, not hanging: the connect limit (5 s) plus one query limit at most, with slack.
    expect(elapsedMs).toBeLessThan(5000 + queryTimeoutMs + 3000)

    relay.thaw()
    // The abandoned connections are destroyed or drain once the server answers; new queries work.
    await expect(storage.ping()).resolves.toBeUndefined()
    await expect(storage.plants.list()).resolves.toBeInstanceOf(Array)
  }, 30_000)

  it('defaults: statement_timeout + 5 s when one is set, else 60 s; 0 turns it off', () => {
    expect(queryTimeoutFor({ statementTimeoutMs: 10_000 })).toBe(15_000)
    expect(queryTimeoutFor({})).toBe(60_000)
    expect(queryTimeoutFor({ statementTimeoutMs: 10_000, queryTimeoutMs: 0 })).toBe(0)
  })
})
