import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import {
  imageToTokens,
  normaliseTokens,
  tokenizeImage,
  tokenizeImageU8,
} from '../../../../lib/vision/index.ts'

const fixtures = join(import.meta.dirname, '../../../fixtures/vision')

/** Grey image whose pixel (y, x) holds (y * side + x) mod 251, so every token sample names its source. */
function indexImage(side: number): Uint8Array {
  const img = new Uint8Array(side * side)
  for (let i = 0; i < img.length; i++) img[i] = i % 251
  return img
}

describe('imageToTokens', () => {
  it('puts pixel (r·p + y, c·p + x) of a grey image at token r·g + c, offset y·p + x', () => {
    const g = 3
    const p = 4
    const side = g * p
    const img = indexImage(side)
    const tokens = imageToTokens(img, g, p, 1)
    for (let r = 0; r < g; r++) {
      for (let c = 0; c < g; c++) {
        for (let y = 0; y < p; y++) {
          for (let x = 0; x < p; x++) {
            const t = r * g + c
            expect(tokens[t * p * p + y * p + x]).toBe(img[(r * p + y) * side + c * p + x])
          }
        }
      }
    }
  })

  it('interleaves channels inside a token: offset (y·p + x)·C + ch', () => {
    const g = 2
    const p = 2
    const side = 4
    const img = new Uint8Array(side * side * 3)
    for (let i = 0; i < side * side; i++) {
      img[3 * i] = i
      img[3 * i + 1] = 100 + i
      img[3 * i + 2] = 200 + i
    }
    const tokens = imageToTokens(img, g, p, 3)
    const t = 1 * g + 0
    const y = 1
    const x = 1
    const pixel = (1 * p + y) * side + 0 * p + x
    for (let ch = 0; ch < 3; ch++)
      expect(tokens[t * p * p * 3 + (y * p + x) * 3 + ch]).toBe(img[pixel * 3 + ch])
  })
})

describe('normaliseTokens', () => {
  it('maps u8 to (u8/255 − mean)/std per channel', () => {
    const out = normaliseTokens(Uint8Array.from([0, 255, 51, 0, 255, 51]), {
      channels: 3,
      mean: [0, 0.5, 1],
      std: [1, 0.5, 2],
    })
    expect([...out]).toEqual([0, 1, (0.2 - 1) / 2, 0, 1, (0.2 - 1) / 2].map((v) => Math.fround(v)))
  })

  it('broadcasts a single mean/std over all samples', () => {
    const out = normaliseTokens(Uint8Array.from([0, 128, 255]), { channels: 1, mean: [0.5], std: [0.25] })
    expect(out[0]).toBeCloseTo(-2, 6)
    expect(out[1]).toBeCloseTo((128 / 255 - 0.5) / 0.25, 6)
    expect(out[2]).toBeCloseTo(2, 6)
  })
})

describe('tokenizeImageU8', () => {
  it('keeps pixels as they are when the image is already g·p square (PNG round trip)', async () => {
    const side = 32
    const img = indexImage(side)
    const png = await sharp(img, { raw: { width: side, height: side, channels: 1 } })
      .png()
      .toBuffer()
    const grid = await tokenizeImageU8(png, {
      budget: 16,
      patchSize: 8,
      channels: 1,
      mean: [0.5],
      std: [0.25],
    })
    expect(grid).toMatchObject({ grid: 4, budget: 16, width: 32, height: 32 })
    expect(Buffer.from(grid.tokens).equals(Buffer.from(imageToTokens(img, 4, 8, 1)))).toBe(true)
  })

  it('honours EXIF orientation 6: the stored top-left marker lands in the top-right token', async () => {
    const bytes = await readFile(join(fixtures, 'exif6.jpg'))
    const meta = await sharp(bytes).metadata()
    expect(meta.orientation).toBe(6)
    const grid = await tokenizeImageU8(bytes, {
      budget: 16,
      patchSize: 8,
      channels: 1,
      mean: [0.5],
      std: [0.25],
    })
    expect([grid.width, grid.height]).toEqual([32, 48])
    const tokenMean = (t: number) => grid.tokens.subarray(t * 64, t * 64 + 64).reduce((a, b) => a + b, 0) / 64
    const means = Array.from({ length: 16 }, (_, t) => tokenMean(t))
    expect(means.indexOf(Math.max(...means))).toBe(3)
  })

  it('gives 3 interleaved channels for RGB and converts grey input to 3 equal channels', async () => {
    const grey = await sharp(indexImage(16), { raw: { width: 16, height: 16, channels: 1 } })
      .png()
      .toBuffer()
    const grid = await tokenizeImageU8(grey, {
      budget: 4,
      patchSize: 8,
      channels: 3,
      mean: [0.5],
      std: [0.25],
    })
    expect(grid.tokens.length).toBe(4 * 64 * 3)
    for (let i = 0; i < grid.tokens.length; i += 3) {
      expect(grid.tokens[i + 1]).toBe(grid.tokens[i])
      expect(grid.tokens[i + 2]).toBe(grid.tokens[i])
    }
  })
})

describe('tokenizeImage', () => {
  it('returns float32 [N·p·p·C] equal to normaliseTokens of the u8 grid', async () => {
    const bytes = await readFile(join(fixtures, 'surface.png'))
    const spec = { budget: 64, patchSize: 8, channels: 1 as const, mean: [0.5], std: [0.25] }
    const [f, u] = await Promise.all([tokenizeImage(bytes, spec), tokenizeImageU8(bytes, spec)])
    expect(f.tokens).toBeInstanceOf(Float32Array)
    expect(f.tokens.length).toBe(64 * 64)
    expect([...f.tokens]).toEqual([...normaliseTokens(u.tokens, spec)])
  })
})
