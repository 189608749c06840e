import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { openStorage, type StorageTarget } from '../../../../lib/db/index.ts'
import { createTestDatabase } from '../../../integration/lib/db/postgres-test-database.ts'
import { adminKey, nested, seedPlants } from '../../../integration/services/gateway/gateway-fixture.ts'

const root = resolve(import.meta.dirname, '../../../..')
const dataDir = mkdtempSync(join(tmpdir(), 'tokenline-gateway-abuse-'))
const children: ChildProcess[] = []
const cleanups: (() => Promise<void>)[] = []

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  for (const cleanup of cleanups) await cleanup()
  rmSync(dataDir, { recursive: true, force: true })
})

const aliases = (n: number, fields: string) =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: scalingReports { ${fields} }`).join(' ')} }`

/** The audit's queries, with the code each must be refused with. */
const abusive: [string, string][] = [
  [nested(12), 'QUERY_TOO_DEEP'],
  [nested(50), 'QUERY_TOO_DEEP'],
  [aliases(1000, 'id'), 'GRAPHQL_PARSE_FAILED'],
  // ~55 KB: under the 64 KB body cap, so it reaches the parser
  [aliases(1000, 'id model points { budget accuracy }'), 'GRAPHQL_PARSE_FAILED'],
  [aliases(30, 'points { perClass { label } }'), 'QUERY_TOO_COMPLEX'],
  [nested(9), 'QUERY_TOO_COMPLEX'],
]

async function startGatewayProcess(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/gateway/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      GATEWAY_PORT: '0',
      TOKENLINE_MODELS_DIR: join(dataDir, 'no-models'),
      GATEWAY_ADMIN_KEY: adminKey,
      LOG_LEVEL: 'info',
      KAFKA_BROKERS: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  for (;;) {
    const url = /gateway ready: GraphQL at (http:\/\/127\.0\.0\.1:\d+\/graphql)/.exec(output)?.[1]
    if (url) return { child, url, output: () => output }
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}:\n${output}`)
    await sleep(100)
  }
}

describe.each([
  ['PGlite', 'pglite'],
  ['PostgreSQL', 'postgres'],
] as const)('the gateway process on %s under the audit’s abusive queries', (_name, driver) => {
  it('refuses each with its code while /healthz answers, then exits 0 on SIGTERM', async () => {
    let target: StorageTarget
    const env: NodeJS.ProcessEnv = { TOKENLINE_DATA_DIR: join(dataDir, driver) }
    if (driver === 'postgres') {
      const database = await createTestDatabase()
      cleanups.push(database.drop)
      target = { driver: 'postgres', url: database.url }
      env.DATABASE_URL = database.url
    } else {
      mkdirSync(join(dataDir, driver), { recursive: true })
      target = { driver: 'pglite', dataDir: join(dataDir, driver) }
      env.DATABASE_URL = ''
    }
    const storage = await openStorage(target)
    await seedPlants(storage, 3, 4)
    await storage.close()

    const { child, url, output } = await startGatewayProcess(env)
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
      child.once('exit', (code, signal) => done({ code, signal }))
    })
    const post = async (query: string) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({ query }),
      })
      return (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] }
    }
    const health = async () => (await fetch(new URL('/healthz', url))).status

    // Three rounds of every abusive query at once, with /healthz asked all along.
    const answers = Promise.all([...abusive, ...abusive, ...abusive].map(([query]) => post(query)))
    const healthChecks: Promise<number>[] = []
    for (let i = 0; i < 10; i++) {
      healthChecks.push(health())
      await sleep(20)
    }
    const codes = (await answers).map((a) => a.errors?.map((e) => e.extensions?.code))
    expect(codes).toEqual([...abusive, ...abusive, ...abusive].map(([, code]) => [code]))
    expect(await Promise.all(healthChecks)).toEqual(Array(10).fill(200))
    // …and still serves what fits.
    expect(((await post('{ plants { lines { id } } }')).data as { plants: unknown[] }).plants).toHaveLength(3)

    child.kill('SIGTERM')
    expect(await exited, output()).toEqual({ code: 0, signal: null })
  })
})
