import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { scalingReportFixture } from '../../../integration/lib/db/fixtures.ts'

const root = resolve(import.meta.dirname, '../../../..')
const dataDir = mkdtempSync(join(tmpdir(), 'tokenline-gateway-e2e-'))
let gateway: ChildProcess | undefined

afterAll(() => {
  if (gateway && gateway.exitCode === null && gateway.signalCode === null) gateway.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TOKENLINE_DATA_DIR: dataDir, LOG_LEVEL: 'info' }
  delete env.DATABASE_URL
  delete env.KAFKA_BROKERS
  return env
}

function npmRun(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      'npm',
      ['run', '--silent', ...args],
      { cwd: root, env, timeout: 150_000 },
      (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

describe('npm run gateway and npm run scaling:import', () => {
  it('imports a report, serves it with /healthz and GraphQL, refuses a second writer, and exits 0 on SIGTERM', async () => {
    const reportFile = join(dataDir, 'report.json')
    writeFileSync(reportFile, JSON.stringify(scalingReportFixture()))
    const modelsDir = join(dataDir, 'models')
    mkdirSync(join(modelsDir, 'other'), { recursive: true })
    writeFileSync(
      join(modelsDir, 'other', 'scaling-test.json'),
      JSON.stringify(
        scalingReportFixture({
          model: 'other',
          question: 'is there a scratch?',
          createdAt: '2026-11-21T00:00:00.000Z',
        }),
      ),
    )

    const imported = await npmRun(['scaling:import', '--', reportFile], baseEnv())
    expect(imported, imported.stderr).toMatchObject({ code: 0 })
    expect(imported.stdout).toMatch(/^stored report\.json: tiny-edge, 3 budgets/m)

    gateway = spawn('npm', ['run', 'gateway'], {
      cwd: root,
      env: { ...baseEnv(), GATEWAY_PORT: '0', TOKENLINE_MODELS_DIR: modelsDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    gateway.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    gateway.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
      gateway?.once('exit', (code, signal) => done({ code, signal }))
    })
    const started = Date.now()
    let url: string | undefined
    while (!url) {
      url = /gateway ready: GraphQL at (http:\/\/127\.0\.0\.1:\d+\/graphql)/.exec(output)?.[1]
      if (gateway.exitCode !== null) throw new Error(`gateway exited with ${gateway.exitCode}:\n${output}`)
      if (Date.now() - started > 120_000) throw new Error(`gateway not ready within 120 s:\n${output}`)
      await sleep(200)
    }

    expect((await fetch(url.replace('/graphql', '/healthz'))).status).toBe(200)
    expect((await fetch(url.replace('/graphql', '/readyz'))).status).toBe(200)
    // First start with no key: an admin key, logged once and in a 0600 file under the data dir.
    const keyFile = join(dataDir, 'gateway-admin.key')
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    const key = readFileSync(keyFile, 'utf8').trim()
    expect(output).toContain(`authorization: Bearer ${key}`)
    const anonymous = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ lines { id } }' }),
    })
    expect(anonymous.status).toBe(401)
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({
        query:
          '{ lines { id } scalingReports { model question points { budget } fit { overall { alpha } } } }',
      }),
    })
    expect(await res.json()).toEqual({
      data: {
        lines: [],
        scalingReports: [
          {
            model: 'other',
            question: 'is there a scratch?',
            points: [{ budget: 4 }, { budget: 16 }, { budget: 64 }],
            fit: { overall: { alpha: 0.35 } },
          },
          {
            model: 'tiny-edge',
            question: null,
            points: [{ budget: 4 }, { budget: 16 }, { budget: 64 }],
            fit: { overall: { alpha: 0.35 } },
          },
        ],
      },
    })

    const refused = await npmRun(['scaling:import', '--', reportFile], baseEnv())
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/DB_LOCKED: the embedded database at .* is held by gateway \(pid \d+\)/)
    expect(refused.stderr).toContain('models/<model>/scaling-<name>.json')

    gateway.kill('SIGTERM')
    expect(await exited, output).toEqual({ code: 0, signal: null })
    expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(false)
  })

  it('exits 2 listing every bad variable', async () => {
    const result = await npmRun(['gateway'], {
      ...baseEnv(),
      GATEWAY_PORT: 'http',
      DATABASE_URL: 'mysql://db/x',
    })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('GATEWAY_PORT: expected an integer port 0–65535; received "http"')
    expect(result.stderr).toContain(
      'DATABASE_URL: expected a postgres:// or postgresql:// URL; received "mysql://db/x"',
    )
  })

  it('exits 1 with DB_UNREACHABLE when PostgreSQL does not answer', async () => {
    const result = await npmRun(['gateway'], {
      ...baseEnv(),
      GATEWAY_PORT: '0',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
      DATABASE_CONNECT_ATTEMPTS: '2',
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /gateway: failed to start: DB_UNREACHABLE: could not connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/none/,
    )
  })
})
