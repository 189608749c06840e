import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import {
  egressImage,
  regionFromPatchScores,
  relativeRegion,
} from '../../../../../services/edge/src/inspect/egress.ts'
import { policy } from '../../../lib/policy/fixtures.ts'

const grid4 = (hot: number[]) => Array.from({ length: 16 }, (_, i) => (hot.includes(i) ? 0.9 : 0.1))

describe('regionFromPatchScores', () => {
  it('boxes the patches over 0.5, grows by the margin and stays square inside the grid', () => {
    expect(regionFromPatchScores(grid4([5]), 0)).toEqual({ row: 1, col: 1, size: 1, grid: 4 })
    expect(regionFromPatchScores(grid4([5]), 1)).toEqual({ row: 0, col: 0, size: 3, grid: 4 })
    // a horizontal pair in the top row: 1×2 box made 2×2 without leaving the grid
    expect(regionFromPatchScores(grid4([1, 2]), 0)).toEqual({ row: 0, col: 1, size: 2, grid: 4 })
    // corners far apart: the whole grid
    expect(regionFromPatchScores(grid4([0, 15]), 0)).toEqual({ row: 0, col: 0, size: 4, grid: 4 })
  })

  it('takes the single best patch when none reaches 0.5', () => {
    const scores = Array.from({ length: 16 }, (_, i) => (i === 14 ? 0.3 : 0.01))
    expect(regionFromPatchScores(scores, 0)).toEqual({ row: 3, col: 2, size: 1, grid: 4 })
  })

  it('refuses a score list that is not a square grid', () => {
    expect(() => regionFromPatchScores([0.1, 0.2, 0.3], 0)).toThrow(/square grid/)
  })

  it('maps grid cells to fractions of the image', () => {
    expect(relativeRegion({ row: 1, col: 2, size: 2, grid: 4 })).toEqual({
      left: 0.5,
      top: 0.25,
      width: 0.5,
      height: 0.5,
    })
  })
})

describe('egressImage', () => {
  // Left half black, right half white, 64×64 px.
  const image = async () => {
    const raw = Buffer.alloc(64 * 64)
    for (let y = 0; y < 64; y++) for (let x = 32; x < 64; x++) raw[y * 64 + x] = 255
    return sharp(raw, { raw: { width: 64, height: 64, channels: 1 } })
      .png()
      .toBuffer()
  }
  const cloud = { patchSize: 8, channels: 1 as const, colorSpace: 'b-w' as const }
  const limits = { maxInputPixels: 1e7, maxInputBytes: 1e7 }
  const mean = (b: Uint8Array) => b.reduce((s, v) => s + v, 0) / b.length

  it('sends the whole field of view resized for the cloud budget', async () => {
    const out = await egressImage(
      await image(),
      policy({ cloud: { model: 'c', budget: 16 } }),
      cloud,
      grid4([3]),
      limits,
    )
    expect(out.region).toBeNull()
    expect(out.image).toMatchObject({
      encoding: 'raw',
      width: 32,
      height: 32,
      channels: 1,
      colorSpace: 'b-w',
    })
    expect(out.image.bytes.length).toBe(32 * 32)
    expect(mean(out.image.bytes)).toBeGreaterThan(120)
    expect(mean(out.image.bytes)).toBeLessThan(135)
  })

  it('sends only the suspected region under egress region: here the white half', async () => {
    const p = policy({
      cloud: { model: 'c', budget: 16 },
      egress: { mode: 'region', regionMarginPatches: 0 },
    })
    const out = await egressImage(await image(), p, cloud, grid4([3, 7]), limits)
    expect(out.region).toEqual({ row: 0, col: 2, size: 2, grid: 4 })
    expect(out.image.width).toBe(32)
    expect(mean(out.image.bytes)).toBeGreaterThan(250)
  })
})
