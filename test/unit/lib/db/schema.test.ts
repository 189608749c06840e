import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { migrationsFolder } from '../../../../lib/db/migrations-folder.ts'

describe('lib/db/schema.ts', () => {
  it('matches the committed migrations (run `npm run db:generate` after changing it)', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'tokenline-migrations-'))
    try {
      cpSync(migrationsFolder, copy, { recursive: true })
      const before = readdirSync(copy).sort()
      const { stdout } = await promisify(execFile)(
        'npx',
        [
          'drizzle-kit',
          'generate',
          '--dialect',
          'postgresql',
          '--schema',
          './lib/db/schema.ts',
          '--out',
          relative(process.cwd(), copy),
        ],
        { timeout: 60_000 },
      )
      expect(readdirSync(copy).sort()).toEqual(before)
      expect(stdout).toContain('No schema changes')
    } finally {
      rmSync(copy, { recursive: true, force: true })
    }
  })
})
