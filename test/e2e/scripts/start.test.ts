import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../../../scripts/internal/free-port.ts'
import { httpPortVars, serviceNames } from '../../../scripts/internal/services.ts'

const root = resolve(import.meta.dirname, '../../..')
const present = serviceNames.filter((name) => existsSync(join(root, 'services', name, 'src', 'main.ts')))
const dataDir = mkdtempSync(join(tmpdir(), 'tokenline-start-'))
let child: ChildProcess | undefined

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

describe('npm start', () => {
  it.runIf(present.length > 0)(
    'brings every existing service up, answers /healthz on each, and exits 0 on SIGTERM',
    async () => {
      const ports: Record<string, string> = {}
      for (const name of ['BROKER_PORT', ...Object.values(httpPortVars)]) {
        ports[name] = String(await freePort('127.0.0.1'))
      }
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...ports,
        TOKENLINE_DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
      }
      delete env.KAFKA_BROKERS
      delete env.DATABASE_URL
      // vitest sets NODE_ENV=test, which changes library behaviour (Apollo's signal handlers); run as a user would.
      delete env.NODE_ENV
      const started = Date.now()
      child = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
      let output = ''
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
        child?.once('exit', (code, signal) => done({ code, signal }))
      })

      while (!output.includes('tokenline is up')) {
        if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`)
        if (Date.now() - started > 120_000) throw new Error(`npm start was not up within 120 s:\n${output}`)
        await sleep(200)
      }

      for (const name of present) {
        const port = ports[httpPortVars[name]]
        const res = await fetch(`http://127.0.0.1:${port}/healthz`)
        expect(res.status, `${name} /healthz on port ${port}`).toBe(200)
        expect(output).toMatch(new RegExp(`${name}\\s*\\|`))
      }
      for (const name of serviceNames.filter((n) => !present.includes(n))) {
        expect(output).toContain(`${name}: not started: services/${name}/src/main.ts does not exist`)
      }

      if (present.includes('gateway')) {
        // First start: the admin key is in the data dir, and npm start says where.
        const keyFile = join(dataDir, 'gateway-admin.key')
        expect(output).toContain(`admin API key (send as "authorization: Bearer <key>") in ${keyFile}`)
        const key = readFileSync(keyFile, 'utf8').trim()
        const res = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ query: '{ lines { id name } scalingReports { id model } }' }),
        })
        expect(res.status).toBe(200)
        const body = (await res.json()) as {
          data?: { lines: unknown[]; scalingReports: unknown[] }
          errors?: unknown
        }
        expect(body.errors).toBeUndefined()
        expect(Array.isArray(body.data?.lines)).toBe(true)
        expect(Array.isArray(body.data?.scalingReports)).toBe(true)
      }

      if (present.includes('edge') && present.includes('cloud') && present.includes('gateway')) {
        // The whole loop with no setup: the gateway's first policy reaches the edge over Kafka,
        // the demo camera feeds the demo line, escalations come back settled by the cloud.
        const edgeUrl = `http://127.0.0.1:${ports.EDGE_PORT}`
        const series = (text: string, name: string) =>
          [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)$`, 'gm'))].reduce(
            (sum, m) => sum + Number(m[1]),
            0,
          )
        let metrics = ''
        const loopStarted = Date.now()
        while (series(metrics, 'tokenline_edge_verdicts_settled_total') === 0) {
          if (Date.now() - loopStarted > 60_000)
            throw new Error(`no cloud verdict settled a demo case within 60 s:\n${metrics}\n${output}`)
          await sleep(500)
          metrics = await (await fetch(`${edgeUrl}/metrics`)).text()
        }
        expect(series(metrics, 'tokenline_edge_images_in_total')).toBeGreaterThan(0)
        const lines = (await (await fetch(`${edgeUrl}/v1/lines`)).json()) as {
          lines: { lineId: string; policyVersion: number | null }[]
        }
        expect(lines.lines).toEqual([{ plantId: 'demo-plant', lineId: 'demo-line', policyVersion: 1 }])
      }

      child.kill('SIGTERM')
      const exit = await exited
      expect(exit, output).toEqual({ code: 0, signal: null })
      for (const name of present) {
        const port = ports[httpPortVars[name]]
        await expect(
          fetch(`http://127.0.0.1:${port}/healthz`),
          `${name} still answers after shutdown`,
        ).rejects.toThrow()
      }
    },
    300_000,
  )

  it.runIf(present.length > 0)(
    'stops cleanly on a terminal Ctrl-C (SIGINT to the whole process group) and leaves no service behind',
    async () => {
      const ports: Record<string, string> = {}
      for (const name of ['BROKER_PORT', ...Object.values(httpPortVars)]) {
        ports[name] = String(await freePort('127.0.0.1'))
      }
      const env: NodeJS.ProcessEnv = { ...process.env, ...ports, TOKENLINE_DATA_DIR: dataDir }
      delete env.KAFKA_BROKERS
      delete env.DATABASE_URL
      delete env.NODE_ENV
      const group = spawn('npm', ['start'], {
        cwd: root,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      })
      let output = ''
      group.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
      group.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
      const exited = new Promise<number | null>((done) => group.once('exit', (code) => done(code)))
      const started = Date.now()
      while (!output.includes('tokenline is up')) {
        if (group.exitCode !== null) throw new Error(`npm start exited with ${group.exitCode}:\n${output}`)
        if (Date.now() - started > 120_000) throw new Error(`npm start was not up within 120 s:\n${output}`)
        await sleep(200)
      }
      process.kill(-group.pid!, 'SIGINT')
      expect(await exited, output).toBe(0)
      for (const name of present) {
        const port = ports[httpPortVars[name]]
        await expect(
          fetch(`http://127.0.0.1:${port}/healthz`),
          `${name} still answers after Ctrl-C`,
        ).rejects.toThrow()
      }
    },
    300_000,
  )

  it.runIf(present.includes('broker') && present.includes('gateway'))(
    'stops what it started and exits 1 naming the service that died at start, with its reason',
    async () => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        TOKENLINE_DATA_DIR: dataDir,
        GATEWAY_MAX_PAGE_SIZE: '5000',
      }
      for (const name of ['BROKER_PORT', ...Object.values(httpPortVars)]) env[name] = '0'
      delete env.KAFKA_BROKERS
      const failing = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
      let output = ''
      failing.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
      failing.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
      const code = await new Promise<number | null>((done) => failing.once('exit', (c) => done(c)))
      expect(code, output).toBe(1)
      expect(output).toContain(
        'start: failed to start: START_SERVICE_EXITED: gateway exited with code 2 before it was ready',
      )
      expect(output).toContain('GATEWAY_MAX_PAGE_SIZE: expected at most 1000 items')
      expect(output).toMatch(/broker\s*\|.*shutting down/)
    },
  )

  it('refuses a bad port with the variable, the value and the expectation, exit code 2', async () => {
    const bad = spawn('npm', ['start'], {
      cwd: root,
      env: { ...process.env, GATEWAY_PORT: 'eighty', TOKENLINE_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    bad.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const code = await new Promise<number | null>((done) => bad.once('exit', (c) => done(c)))
    expect(code).toBe(2)
    expect(stderr).toContain('GATEWAY_PORT: expected an integer port 0–65535; received "eighty"')
  })
})
