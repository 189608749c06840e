import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { type TokenGridSpec, tokenizeImageU8, VisionError } from '../../../../lib/vision/index.ts'
import { forgedHugePng, grey16Png } from '../../../fixtures/vision/png.ts'

const fixtures = join(import.meta.dirname, '../../../fixtures/vision')
const grey: TokenGridSpec = { budget: 16, patchSize: 8, channels: 1, mean: [0.5], std: [0.25] }

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(VisionError)
    return (err as VisionError).code
  }
  return 'no error'
}

async function flat(width: number, height: number, value: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: value, g: value, b: value } } })
    .png()
    .toBuffer()
}

describe('bad input', () => {
  it('zero bytes → VISION_IMAGE_INVALID', async () => {
    expect(await codeOf(tokenizeImageU8(Buffer.alloc(0), grey))).toBe('VISION_IMAGE_INVALID')
  })

  it('not an image → VISION_IMAGE_INVALID', async () => {
    expect(await codeOf(tokenizeImageU8(Buffer.from('{"hello":"world"}'), grey))).toBe('VISION_IMAGE_INVALID')
  })

  it('truncated PNG → VISION_IMAGE_INVALID', async () => {
    const png = await readFile(join(fixtures, 'surface.png'))
    expect(await codeOf(tokenizeImageU8(png.subarray(0, Math.floor(png.length / 2)), grey))).toBe(
      'VISION_IMAGE_INVALID',
    )
  })

  it('a PNG claiming 30000×30000 → VISION_IMAGE_TOO_LARGE before decoding', async () => {
    const bomb = forgedHugePng(30_000, 30_000)
    expect(bomb.length).toBeLessThan(10_000)
    expect(await codeOf(tokenizeImageU8(bomb, grey))).toBe('VISION_IMAGE_TOO_LARGE')
  })

  it('pixels over the spec limit → VISION_IMAGE_TOO_LARGE', async () => {
    const png = await flat(200, 200, 9)
    expect(await codeOf(tokenizeImageU8(png, { ...grey, maxInputPixels: 10_000 }))).toBe(
      'VISION_IMAGE_TOO_LARGE',
    )
  })

  it('bytes over the spec limit → VISION_IMAGE_TOO_LARGE', async () => {
    const png = await readFile(join(fixtures, 'surface.png'))
    expect(await codeOf(tokenizeImageU8(png, { ...grey, maxInputBytes: 1000 }))).toBe(
      'VISION_IMAGE_TOO_LARGE',
    )
  })

  it.each(['gif', 'webp'] as const)('animated %s → VISION_IMAGE_UNSUPPORTED', async (format) => {
    const frames = await Promise.all([flat(16, 16, 20), flat(16, 16, 220)])
    const anim = await sharp(frames, { join: { animated: true } })
      .toFormat(format)
      .toBuffer()
    expect((await sharp(anim).metadata()).pages).toBe(2)
    expect(await codeOf(tokenizeImageU8(anim, grey))).toBe('VISION_IMAGE_UNSUPPORTED')
  })

  it('SVG (a vector format) → VISION_IMAGE_UNSUPPORTED', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>',
    )
    expect((await sharp(svg).metadata()).format).toBe('svg')
    expect(await codeOf(tokenizeImageU8(svg, grey))).toBe('VISION_IMAGE_UNSUPPORTED')
  })

  it('a budget that is not a perfect square → VISION_BUDGET_UNSUPPORTED', async () => {
    const png = await readFile(join(fixtures, 'surface.png'))
    expect(await codeOf(tokenizeImageU8(png, { ...grey, budget: 15 }))).toBe('VISION_BUDGET_UNSUPPORTED')
  })
})

describe('inputs that are converted, not refused', () => {
  it('16-bit grey PNG → 8-bit grey scaled by 1/257', async () => {
    const side = 16
    const values = Array.from({ length: side * side }, (_, i) => ((i % side) * 4369) & 0xffff)
    const png = grey16Png(side, side, values)
    expect((await sharp(png).metadata()).depth).toBe('ushort')
    const grid = await tokenizeImageU8(png, { ...grey, budget: 4 })
    // 16×16 is already g·p for N=4, p=8: every sample is its column's value / 257.
    for (let t = 0; t < 4; t++) {
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          const col = (t % 2) * 8 + x
          expect(Math.abs(grid.tokens[t * 64 + y * 8 + x]! - (col * 4369) / 257)).toBeLessThanOrEqual(1)
        }
      }
    }
  })

  it('CMYK JPEG → grey and sRGB close to the source colour', async () => {
    const source = await flat(32, 32, 128)
    const cmyk = await sharp(source).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer()
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk')
    for (const channels of [1, 3] as const) {
      const grid = await tokenizeImageU8(cmyk, { ...grey, channels })
      expect(grid.tokens.length).toBe(16 * 64 * channels)
      const mean = grid.tokens.reduce((a, b) => a + b, 0) / grid.tokens.length
      expect(Math.abs(mean - 128)).toBeLessThan(20)
    }
  })

  it('alpha is composited onto black', async () => {
    const png = await sharp({
      create: { width: 16, height: 16, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 0 } },
    })
      .png()
      .toBuffer()
    const grid = await tokenizeImageU8(png, { ...grey, budget: 4 })
    expect(Math.max(...grid.tokens)).toBe(0)
  })
})
