/**
 * Per-patch defect coverage, u8 [N] per image (what `npm run tokenize` writes to patch_n{N}.u8):
 * value at token t = r·g + c is round(255 · mean of (mask > 127) over the patch's area of the
 * source mask), the exact area average (fractional edge pixels weighted by overlap), in the same
 * token order as the token grid. The mask is decoded with the same EXIF rotation as the image.
 */
import sharp from 'sharp'
import { VisionError } from './errors.ts'

/** For each of `cells` equal cells over [0, len): the (index, weight) pairs of source pixels, weights sum to 1. */
function cellWeights(len: number, cells: number): Array<Array<[number, number]>> {
  const out: Array<Array<[number, number]>> = []
  const step = len / cells
  for (let k = 0; k < cells; k++) {
    const a = k * step
    const b = (k + 1) * step
    const pairs: Array<[number, number]> = []
    for (let i = Math.floor(a); i < Math.min(len, Math.ceil(b)); i++) {
      const w = Math.min(b, i + 1) - Math.max(a, i)
      if (w > 0) pairs.push([i, w / step])
    }
    out.push(pairs)
  }
  return out
}

/** Area-averaged coverage of a binary width×height mask on a grid×grid patch grid, u8 [grid²]. */
export function maskCoverage(mask: Uint8Array, width: number, height: number, grid: number): Uint8Array {
  const cols = cellWeights(width, grid)
  const rows = cellWeights(height, grid)
  const rowSums = new Float64Array(height * grid)
  for (let y = 0; y < height; y++) {
    for (let c = 0; c < grid; c++) {
      let s = 0
      for (const [x, w] of cols[c]!) if (mask[y * width + x]! > 127) s += w
      rowSums[y * grid + c] = s
    }
  }
  const out = new Uint8Array(grid * grid)
  for (let r = 0; r < grid; r++) {
    for (let c = 0; c < grid; c++) {
      let s = 0
      for (const [y, w] of rows[r]!) s += rowSums[y * grid + c]! * w
      out[r * grid + c] = Math.round(Math.min(1, s) * 255)
    }
  }
  return out
}

/** A decoded single-channel mask, oriented like its image. */
export type DecodedMask = { data: Uint8Array; width: number; height: number }

/**
 * Decodes a mask image (any format sharp reads; 255/non-zero = defect) to one grey channel.
 * @throws VisionError VISION_IMAGE_INVALID when it cannot be decoded.
 */
export async function decodeMask(bytes: Uint8Array): Promise<DecodedMask> {
  try {
    const { data, info } = await sharp(bytes, { failOn: 'truncated' })
      .rotate()
      .flatten({ background: '#000000' })
      .toColourspace('b-w')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
    return { data, width: info.width, height: info.height }
  } catch (err) {
    throw new VisionError(
      'VISION_IMAGE_INVALID',
      `expected a decodable mask image but ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
}
