import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../../services/gateway/src/config.ts'
import { type RunningGateway, startGateway } from '../../../../services/gateway/src/gateway.ts'
import { createTestDatabase } from '../../lib/db/postgres-test-database.ts'

const adminKey = `tl_test_admin_${'x'.repeat(24)}`
const auth = { authorization: `Bearer ${adminKey}` }

describe('gateway on PostgreSQL (DATABASE_URL)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let gateway: RunningGateway
  let emptyModels: string

  beforeAll(async () => {
    database = await createTestDatabase()
    emptyModels = mkdtempSync(join(tmpdir(), 'tokenline-no-models-'))
    const config = loadConfig({
      GATEWAY_PORT: '0',
      DATABASE_URL: database.url,
      TOKENLINE_MODELS_DIR: emptyModels,
      GATEWAY_ADMIN_KEY: adminKey,
    })
    gateway = await startGateway(config, { log: pino({ level: 'silent' }) })
  })

  afterAll(async () => {
    await gateway?.close()
    await database?.drop()
    rmSync(emptyModels, { recursive: true, force: true })
  })

  it('migrates the database at start and answers from it', async () => {
    expect(gateway.storage.driver).toBe('postgres')
    const id = randomUUID()
    await gateway.storage.inspections.upsert({
      id,
      lineId: 'line-pg',
      plantId: 'plant-pg',
      receivedAt: new Date('2026-11-04T00:00:00Z'),
      final: { verdict: 'ok', decidedBy: 'edge', decidedAt: new Date('2026-11-04T00:00:00.010Z') },
    })
    const res = await fetch(gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({
        query: '{ lines { id plant { id } } inspections { edges { node { id decidedBy } } } }',
      }),
    })
    expect(await res.json()).toEqual({
      data: {
        lines: [{ id: 'line-pg', plant: { id: 'plant-pg' } }],
        inspections: { edges: [{ node: { id, decidedBy: 'EDGE' } }] },
      },
    })
  })
})

describe('gateway first start on PostgreSQL without any key', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let gateway: RunningGateway | undefined
  let dataDir: string

  beforeAll(async () => {
    database = await createTestDatabase()
    dataDir = mkdtempSync(join(tmpdir(), 'tokenline-gateway-pg-key-'))
  })

  afterAll(async () => {
    await gateway?.close()
    await database?.drop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('writes the admin key to <dataDir>/gateway-admin.key (0600) too, and it works', async () => {
    gateway = await startGateway(
      loadConfig({
        GATEWAY_PORT: '0',
        DATABASE_URL: database.url,
        TOKENLINE_DATA_DIR: dataDir,
        TOKENLINE_MODELS_DIR: dataDir,
      }),
      { log: pino({ level: 'silent' }) },
    )
    const file = join(dataDir, 'gateway-admin.key')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const secret = readFileSync(file, 'utf8').trim()
    expect(gateway.adminKey?.secret).toBe(secret)
    const res = await fetch(gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: JSON.stringify({ query: '{ me { role allPlants } }' }),
    })
    expect(await res.json()).toEqual({ data: { me: { role: 'ADMIN', allPlants: true } } })
  })
})
