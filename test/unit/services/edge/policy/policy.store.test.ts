import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../../lib/log/index.ts'
import { PolicyStore } from '../../../../../services/edge/src/policy/policy.store.ts'
import { policy } from '../../../lib/policy/fixtures.ts'

const lines = [{ plantId: 'plant-1', lineId: 'line-a' }]
const runnable = () => undefined

async function versionsOnDisk(file: string): Promise<number[]> {
  return (JSON.parse(await readFile(file, 'utf8')) as { version: number }[]).map((p) => p.version)
}

describe('PolicyStore persistence', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokenline-policy-store-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes the applied policy, and a restarted store loads it', async () => {
    const file = join(dir, 'node', 'policies.json')
    const store = new PolicyStore(lines, file, runnable, createLogger('test', 'silent'))
    expect(await store.apply(policy({ version: 4 }))).toEqual({ kind: 'applied' })
    expect(await versionsOnDisk(file)).toEqual([4])
    const again = new PolicyStore(lines, file, runnable, createLogger('test', 'silent'))
    expect(await again.load()).toBe(1)
    expect(again.get('line-a')?.version).toBe(4)
  })

  // Tried: the folder of the policies file cannot be created (a plain file stands in its place, as a
  // full or read-only disk would fail the write). The consumer retries the record; before the fix
  // the retry was "not newer" and never written, and every later write chained on the failed one.
  it('writes the file on the retry of a record whose first write failed, and keeps writing after', async () => {
    const blocker = join(dir, 'node')
    await writeFile(blocker, 'not a folder')
    const file = join(blocker, 'policies.json')
    const store = new PolicyStore(lines, file, runnable, createLogger('test', 'silent'))
    await expect(store.apply(policy({ version: 4 }))).rejects.toThrow()
    expect(store.get('line-a')?.version).toBe(4)

    await rm(blocker)
    expect(await store.apply(policy({ version: 4 }))).toEqual({ kind: 'ignored' })
    expect(await versionsOnDisk(file)).toEqual([4])

    expect(await store.apply(policy({ version: 5 }))).toEqual({ kind: 'applied' })
    expect(await versionsOnDisk(file)).toEqual([5])
  })
})
