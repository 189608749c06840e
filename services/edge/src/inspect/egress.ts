/**
 * What leaves the site for the cloud (the policy's `egress`): the whole field of view or only the
 * region the edge model suspects, in both cases decoded once more from the original bytes and
 * resized for the cloud model's budget, as raw u8 (HWC) in the cloud model's colour space.
 */
import type { ModelManifestV1 } from '../../../../lib/contracts/model-manifest.v1.ts'
import type { EscalationImageV1, PolicyV2 } from '../../../../lib/messaging/index.ts'
import { decodeRegion, decodeSquare, gridSide, type RelativeRegion } from '../../../../lib/vision/index.ts'

/** A square of grid cells: rows [row, row + size), columns [col, col + size). */
export type GridRegion = { row: number; col: number; size: number; grid: number }

/**
 * The square around the suspected defect: every patch scoring ≥ 0.5 (or the single highest
 * scoring one when none does), its bounding box grown by `margin` patches on each side, made
 * square, kept inside the grid.
 */
export function regionFromPatchScores(scores: ArrayLike<number>, margin: number): GridRegion {
  const grid = gridSide(scores.length)
  if (grid === undefined)
    throw new RangeError(`expected one patch score per token of a square grid but received ${scores.length}`)
  let best = 0
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i
  let r0 = grid
  let r1 = -1
  let c0 = grid
  let c1 = -1
  for (let i = 0; i < scores.length; i++) {
    if (scores[i]! >= 0.5 || i === best) {
      const r = Math.floor(i / grid)
      const c = i % grid
      r0 = Math.min(r0, r)
      r1 = Math.max(r1, r)
      c0 = Math.min(c0, c)
      c1 = Math.max(c1, c)
    }
  }
  r0 = Math.max(0, r0 - margin)
  c0 = Math.max(0, c0 - margin)
  r1 = Math.min(grid - 1, r1 + margin)
  c1 = Math.min(grid - 1, c1 + margin)
  const size = Math.max(r1 - r0 + 1, c1 - c0 + 1)
  const place = (start: number, end: number) =>
    Math.max(0, Math.min(grid - size, start - Math.floor((size - (end - start + 1)) / 2)))
  return { row: place(r0, r1), col: place(c0, c1), size, grid }
}

export function relativeRegion(r: GridRegion): RelativeRegion {
  return { left: r.col / r.grid, top: r.row / r.grid, width: r.size / r.grid, height: r.size / r.grid }
}

export type EgressImage = { image: EscalationImageV1; region: GridRegion | null }

/**
 * The escalation's image for `policy.egress.mode` 'whole' or 'region' (mode 'none' never gets
 * here: the decision holds such cases).
 */
export async function egressImage(
  bytes: Uint8Array,
  policy: PolicyV2,
  cloud: Pick<ModelManifestV1, 'patchSize' | 'channels' | 'colorSpace'>,
  patchScores: ArrayLike<number> | undefined,
  limits: { maxInputPixels: number; maxInputBytes: number },
): Promise<EgressImage> {
  const g = gridSide(policy.cloud.budget)
  if (g === undefined)
    throw new RangeError(`expected a perfect-square cloud budget but received ${policy.cloud.budget}`)
  const side = g * cloud.patchSize
  const region =
    policy.egress.mode === 'region' && patchScores !== undefined && patchScores.length > 0
      ? regionFromPatchScores(patchScores, policy.egress.regionMarginPatches)
      : null
  const decoded = region
    ? await decodeRegion(bytes, relativeRegion(region), side, cloud.channels, limits)
    : await decodeSquare(bytes, side, cloud.channels, limits)
  return {
    image: {
      encoding: 'raw',
      width: side,
      height: side,
      channels: cloud.channels,
      colorSpace: cloud.colorSpace,
      bytes: decoded.data,
    },
    region,
  }
}
