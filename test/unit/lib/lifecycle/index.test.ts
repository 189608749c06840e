import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Lifecycle } from '../../../../lib/lifecycle/index.ts'
import { createLogger } from '../../../../lib/log/index.ts'

const silent = createLogger('test', 'silent')
const root = resolve(import.meta.dirname, '../../../..')

describe('Lifecycle', () => {
  it('closes in reverse order of registration, once', async () => {
    const order: string[] = []
    const lifecycle = new Lifecycle(silent)
    lifecycle.add('database', () => {
      order.push('database')
    })
    lifecycle.add('broker connection', async () => {
      order.push('broker connection')
    })
    lifecycle.add('http', () => {
      order.push('http')
    })
    await Promise.all([lifecycle.close(), lifecycle.close()])
    await lifecycle.close()
    expect(order).toEqual(['http', 'broker connection', 'database'])
  })

  it('keeps closing the rest when one part fails, then reports the failure', async () => {
    const order: string[] = []
    const lifecycle = new Lifecycle(silent)
    lifecycle.add('first', () => {
      order.push('first')
    })
    lifecycle.add('broken', () => {
      throw new Error('stuck')
    })
    lifecycle.add('last', () => {
      order.push('last')
    })
    await expect(lifecycle.close()).rejects.toThrow('one or more parts failed to close')
    expect(order).toEqual(['last', 'first'])
  })
})

describe('runMain', () => {
  // The script lives under the repo's tmp/ so its bare imports (zod) resolve from node_modules.
  function runScript(body: string): { status: number | null; stderr: string } {
    mkdirSync(join(root, 'tmp'), { recursive: true })
    const dir = mkdtempSync(join(root, 'tmp', 'lifecycle-'))
    const file = join(dir, 'main.ts')
    writeFileSync(file, body)
    const result = spawnSync(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'info' },
    })
    rmSync(dir, { recursive: true, force: true })
    return { status: result.status, stderr: result.stderr }
  }

  it('prints the problem list of a configuration error without a stack and exits 2', () => {
    const { status, stderr } = runScript(`
      import { z } from 'zod'
      import { parseEnv, portVar } from '${root}/lib/config/index.ts'
      import { runMain } from '${root}/lib/lifecycle/index.ts'
      runMain('demo', async () => { parseEnv(z.object({ DEMO_PORT: portVar(1) }), { DEMO_PORT: 'x' }) })
    `)
    expect(status).toBe(2)
    expect(stderr).toContain(
      'demo: invalid configuration:\n  - DEMO_PORT: expected an integer port 0–65535; received "x"',
    )
    expect(stderr).not.toContain('    at ')
  })

  it('prints code and message of a startup failure and exits 1', () => {
    const { status, stderr } = runScript(`
      import { TokenlineError } from '${root}/lib/errors/index.ts'
      import { runMain } from '${root}/lib/lifecycle/index.ts'
      runMain('demo', async () => { throw new TokenlineError('DEMO_DOWN', 'database at x:1 refused', true) })
    `)
    expect(status).toBe(1)
    expect(stderr.trim()).toBe('demo: failed to start: DEMO_DOWN: database at x:1 refused')
  })

  it('ignores a second signal while closing (Ctrl-C reaches npm and the service, npm forwards it again)', () => {
    const { status, stderr } = runScript(`
      import { setTimeout as sleep } from 'node:timers/promises'
      import { Lifecycle } from '${root}/lib/lifecycle/index.ts'
      import { createLogger } from '${root}/lib/log/index.ts'
      const lifecycle = new Lifecycle(createLogger('demo', 'silent'))
      lifecycle.add('slow part', async () => { await sleep(300); process.stderr.write('closed slow part\\n') })
      lifecycle.handleSignals()
      setInterval(() => {}, 1000)
      setTimeout(() => { process.kill(process.pid, 'SIGINT'); setTimeout(() => process.kill(process.pid, 'SIGINT'), 50) }, 50)
    `)
    expect(stderr).toContain('closed slow part')
    expect(status).toBe(0)
  })

  it('closes everything and exits 0 on SIGTERM', () => {
    const { status, stderr } = runScript(`
      import { Lifecycle } from '${root}/lib/lifecycle/index.ts'
      import { createLogger } from '${root}/lib/log/index.ts'
      const lifecycle = new Lifecycle(createLogger('demo', 'silent'))
      lifecycle.add('part', () => { process.stderr.write('closed part\\n') })
      lifecycle.handleSignals()
      setInterval(() => {}, 1000)
      setTimeout(() => process.kill(process.pid, 'SIGTERM'), 50)
    `)
    expect(stderr).toContain('closed part')
    expect(status).toBe(0)
  })
})
