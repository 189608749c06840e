import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import type { Env } from '../../../../lib/config/index.ts'
import { openStorage, type Storage } from '../../../../lib/db/index.ts'
import { loadConfig } from '../../../../services/gateway/src/config.ts'
import { type RunningGateway, startGateway } from '../../../../services/gateway/src/gateway.ts'
import { createTestDatabase } from '../../lib/db/postgres-test-database.ts'
import {
  countPgliteStatements,
  type StatementLog,
  startCountingProxy,
} from '../../lib/db/statement-counter.ts'

/** The all-plants admin secret tests configure and send (the access-control contract). */
export const adminKey = `tl_test_admin_${'x'.repeat(24)}`

// biome-ignore lint/suspicious/noExplicitAny: answers are JSON, checked by value in the tests
export type Json = any
export type GraphqlResponse = {
  status: number
  data?: Record<string, Json> | null
  errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[]
}

export type Driver = 'pglite' | 'postgres'

/**
 * A gateway on a fresh database of `driver` with every SQL statement it sends recorded (a wire
 * proxy in front of PostgreSQL; PGlite's query method in-process). Seed through `storage`.
 */
export async function startCountedGateway(
  driver: Driver,
  env: Env = {},
): Promise<{
  gateway: RunningGateway
  storage: Storage
  sql: StatementLog
  query: (
    text: string,
    variables?: Record<string, unknown>,
    operationName?: string,
  ) => Promise<GraphqlResponse>
  close: () => Promise<void>
}> {
  const modelsDir = mkdtempSync(join(tmpdir(), 'tokenline-no-models-'))
  const closers: (() => Promise<void> | void)[] = [() => rmSync(modelsDir, { recursive: true, force: true })]
  let storage: Storage | undefined
  let sql: StatementLog
  let databaseUrl: string | undefined
  if (driver === 'postgres') {
    const database = await createTestDatabase()
    closers.push(database.drop)
    const proxy = await startCountingProxy(database.url)
    closers.push(proxy.close)
    databaseUrl = proxy.url
    sql = proxy
  } else {
    const counter = countPgliteStatements()
    closers.push(counter.restore)
    storage = await openStorage({ driver: 'pglite-memory' })
    closers.push(() => storage?.close())
    sql = counter
  }
  const config = loadConfig({
    GATEWAY_PORT: '0',
    TOKENLINE_MODELS_DIR: modelsDir,
    GATEWAY_ADMIN_KEY: adminKey,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  })
  const gateway = await startGateway(config, {
    log: pino({ level: 'silent' }),
    ...(storage ? { storage } : {}),
  })
  closers.push(gateway.close)
  const query = async (text: string, variables?: Record<string, unknown>, operationName?: string) => {
    const res = await fetch(gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ query: text, variables, operationName }),
    })
    return { status: res.status, ...((await res.json()) as Omit<GraphqlResponse, 'status'>) }
  }
  const counted = sql
  // Verifying the API key (cached about a second, lastUsedAt written once a minute) is the
  // authenticator's work, not the query's: the counts below are of what the operation costs.
  const operationSql: StatementLog = {
    get statements() {
      return counted.statements.filter((s) => !/"api_keys"/.test(s))
    },
    reset: () => counted.reset(),
  }
  return {
    gateway,
    storage: gateway.storage,
    sql: operationSql,
    query,
    close: async () => {
      for (const close of closers.reverse()) await close()
    },
  }
}

/** `plants` plants with `linesPerPlant` lines each: plant-1 … with line-1-1 …; returns the line ids. */
export async function seedPlants(storage: Storage, plants: number, linesPerPlant: number): Promise<string[]> {
  const lineIds: string[] = []
  for (let p = 1; p <= plants; p++) {
    await storage.plants.upsert({ id: `plant-${p}`, name: `Plant ${p}` })
    for (let l = 1; l <= linesPerPlant; l++) {
      await storage.lines.upsert({ id: `line-${p}-${l}`, plantId: `plant-${p}`, name: `Line ${p}.${l}` })
      lineIds.push(`line-${p}-${l}`)
    }
  }
  return lineIds
}

/** `count` decided inspections spread over `lineIds` (plant from the id), one second apart, every third reviewed. */
export async function seedInspections(storage: Storage, lineIds: string[], count: number): Promise<string[]> {
  const ids: string[] = []
  const t0 = Date.parse('2026-11-03T10:00:00.000Z')
  for (let i = 0; i < count; i++) {
    const lineId = lineIds[i % lineIds.length]!
    const id = randomUUID()
    ids.push(id)
    await storage.inspections.upsert({
      id,
      lineId,
      plantId: `plant-${lineId.split('-')[1]}`,
      receivedAt: new Date(t0 + i * 1000),
      edge: { label: 'ok', probabilities: { ok: 0.9, pit: 0.1 }, budget: 16, tokens: 16, model: 'tiny-edge' },
      final: {
        verdict: i % 5 === 0 ? 'pit' : 'ok',
        decidedBy: 'edge',
        decidedAt: new Date(t0 + i * 1000 + 20),
      },
    })
    if (i % 3 === 0) {
      await storage.reviews.record({
        id: randomUUID(),
        inspectionId: id,
        label: 'ok',
        reviewer: 'ana',
        createdAt: new Date(t0 + i * 1000 + 60_000),
      })
    }
  }
  return ids
}

/** `plants { lines { plant { lines … } } }` nested `depth` fields deep. */
export function nested(depth: number): string {
  let body = '{ id }'
  for (let level = depth - 1; level >= 1; level--) body = `{ ${level % 2 === 1 ? 'lines' : 'plant'} ${body} }`
  return `{ plants ${body} }`
}
