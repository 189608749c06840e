import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { openStorage, storageTarget } from '../../../../lib/db/index.ts'
import { createTestDatabase } from './postgres-test-database.ts'

describe('openStorage', () => {
  const dirs: string[] = []
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenline-db-'))
    dirs.push(dir)
    return dir
  }
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('chooses PostgreSQL when DATABASE_URL is set and PGlite under the data dir otherwise', () => {
    expect(storageTarget('postgres://db/x', './data')).toEqual({ driver: 'postgres', url: 'postgres://db/x' })
    expect(storageTarget(undefined, '/var/tl')).toEqual({ driver: 'pglite', dataDir: '/var/tl' })
  })

  it('fails with a retriable DB_UNREACHABLE when nothing listens, after retrying', async () => {
    const retries: number[] = []
    const log = { warn: (o: { attempt: number }) => retries.push(o.attempt), info: () => undefined }
    const err = await openStorage(
      { driver: 'postgres', url: 'postgres://postgres:secret@127.0.0.1:1/none' },
      { connectAttempts: 3, log: log as never },
    ).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'DB_UNREACHABLE', retriable: true })
    expect((err as Error).message).toContain('127.0.0.1:1')
    expect((err as Error).message).not.toContain('secret')
    expect(retries).toEqual([1, 2])
  })

  it('keeps a PGlite directory to one holder, persists across reopen, and takes over a dead holder’s lock', async () => {
    const dataDir = tempDir()
    const first = await openStorage({ driver: 'pglite', dataDir }, { owner: 'gateway' })
    await first.plants.upsert({ id: 'p', name: 'Persisted' })
    await expect(
      openStorage({ driver: 'pglite', dataDir }, { owner: 'scaling-import' }),
    ).rejects.toMatchObject({
      code: 'DB_LOCKED',
      message: expect.stringContaining('gateway (pid'),
    })
    await first.close()
    writeFileSync(join(dataDir, 'pglite.lock'), JSON.stringify({ pid: 2 ** 22 + 1, owner: 'ghost' }))
    const second = await openStorage({ driver: 'pglite', dataDir })
    expect((await second.plants.get('p'))?.name).toBe('Persisted')
    await second.close()
  })

  it('reports DB_MIGRATION_FAILED when the schema cannot be applied', async () => {
    const database = await createTestDatabase()
    try {
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      await client.query('create table plants (id int primary key)')
      await client.end()
      const err = await openStorage({ driver: 'postgres', url: database.url }).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'DB_MIGRATION_FAILED', retriable: false })
      expect((err as Error).message).toMatch(/plants/)
    } finally {
      await database.drop()
    }
  })
})
