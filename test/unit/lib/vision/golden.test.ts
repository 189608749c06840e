import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  resizeKernel,
  type TokenGridSpec,
  tokenizeImage,
  tokenizeImageU8,
} from '../../../../lib/vision/index.ts'

const fixtures = join(import.meta.dirname, '../../../fixtures/vision')

type Case = { image: string; spec: TokenGridSpec; tokens: string; width: number; height: number }
const expected = JSON.parse(await readFile(join(fixtures, 'expected.json'), 'utf8')) as {
  resizeKernel: string
  cases: Case[]
}

// Stated tolerance: u8 samples may differ by 1 (libvips rounding across versions/SIMD paths);
// float32 therefore by 1/(255·std) plus float rounding.
const u8Tolerance = 1

describe('golden token grids (test/fixtures/vision)', () => {
  it('were made with the kernel in use', () => {
    expect(expected.resizeKernel).toBe(resizeKernel)
  })

  it.each(expected.cases.map((c) => [`${c.image} N=${c.spec.budget} C=${c.spec.channels}`, c] as const))(
    '%s reproduces its expected tokens',
    async (_name, c) => {
      const bytes = await readFile(join(fixtures, c.image))
      const want = new Uint8Array(await readFile(join(fixtures, c.tokens)))
      const u8 = await tokenizeImageU8(bytes, c.spec)
      expect([u8.width, u8.height]).toEqual([c.width, c.height])
      expect(u8.tokens.length).toBe(want.length)
      let worst = 0
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(u8.tokens[i]! - want[i]!))
      expect(worst).toBeLessThanOrEqual(u8Tolerance)

      const f = await tokenizeImage(bytes, c.spec)
      const std = Math.min(...c.spec.std)
      const mean = c.spec.mean
      let worstF = 0
      for (let i = 0; i < want.length; i++) {
        const ch = i % c.spec.channels
        const ref =
          (want[i]! / 255 - mean[mean.length === 1 ? 0 : ch]!) / c.spec.std[c.spec.std.length === 1 ? 0 : ch]!
        worstF = Math.max(worstF, Math.abs(f.tokens[i]! - ref))
      }
      expect(worstF).toBeLessThanOrEqual(u8Tolerance / (255 * std) + 1e-6)
    },
  )

  it('PNG and JPEG (q90) of the same surface agree closely at N=64', async () => {
    const png = new Uint8Array(await readFile(join(fixtures, 'surface-png.n64.c1.u8')))
    const jpg = new Uint8Array(await readFile(join(fixtures, 'surface-jpg.n64.c1.u8')))
    let sum = 0
    for (let i = 0; i < png.length; i++) sum += Math.abs(png[i]! - jpg[i]!)
    expect(sum / png.length).toBeLessThan(3)
  })
})
