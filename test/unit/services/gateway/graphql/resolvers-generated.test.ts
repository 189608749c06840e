import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generate } from '@graphql-codegen/cli'
import { describe, expect, it } from 'vitest'
import { config } from '../../../../../codegen.ts'

describe('resolvers.generated.ts', () => {
  it('is what `npm run codegen` makes of the current schema.graphql', async () => {
    const [[target, output]] = Object.entries(config.generates) as [[string, object]]
    const dir = mkdtempSync(join(tmpdir(), 'tokenline-codegen-'))
    try {
      const fresh = join(dir, 'resolvers.generated.ts')
      await generate({ ...config, silent: true, generates: { [fresh]: output } }, true)
      expect(readFileSync(fresh, 'utf8')).toBe(readFileSync(target, 'utf8'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
