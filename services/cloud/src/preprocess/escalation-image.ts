/**
 * The escalation's image → the model's normalised token grid, float32 [N, p·p·C] (see lib/vision
 * token-grid.ts for the layout). The edge sends the image already resized for the cloud budget as
 * raw HWC u8 in the model's colour space; that case is only rearranged and normalised. Raw pixels
 * of another size or colour space (a budget the model does not serve, another model's colours)
 * go through sharp with the serving resize kernel; PNG/JPEG go through lib/vision's decoder.
 */
import sharp from 'sharp'
import type { ModelManifestV1 } from '../../../../lib/contracts/model-manifest.v1.ts'
import type { EscalationImageV1 } from '../../../../lib/messaging/index.ts'
import {
  gridSide,
  imageToTokens,
  normaliseTokens,
  resizeKernel,
  specFromManifest,
  tokenizeImage,
} from '../../../../lib/vision/index.ts'
import { CloudError } from '../errors.ts'

/**
 * The budget to run for a requested one: itself when the model serves it, else the smallest
 * larger budget the model serves, else its largest (a replaced model may serve other budgets).
 */
export function chooseBudget(budgets: readonly number[], requested: number): number {
  const sorted = [...budgets].sort((a, b) => a - b)
  return sorted.find((b) => b >= requested) ?? sorted[sorted.length - 1]!
}

/**
 * @throws CloudError CLOUD_IMAGE_INVALID when the bytes cannot be decoded or converted
 */
export async function escalationTokens(
  image: EscalationImageV1,
  manifest: ModelManifestV1,
  budget: number,
): Promise<Float32Array> {
  const spec = specFromManifest(manifest, budget)
  const grid = gridSide(budget)!
  const side = grid * manifest.patchSize
  const channels = manifest.channels
  try {
    if (image.encoding !== 'raw') return (await tokenizeImage(image.bytes, spec)).tokens
    let pixels: Uint8Array = image.bytes
    if (
      image.width !== side ||
      image.height !== side ||
      image.channels !== channels ||
      image.colorSpace !== manifest.colorSpace
    ) {
      const { data, info } = await sharp(image.bytes, {
        raw: { width: image.width, height: image.height, channels: image.channels },
      })
        .toColourspace(channels === 1 ? 'b-w' : 'srgb')
        .resize(side, side, { kernel: resizeKernel, fit: 'fill' })
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true })
      if (info.width !== side || info.height !== side || info.channels !== channels)
        throw new Error(
          `expected ${side}×${side}×${channels} after conversion but sharp produced ${info.width}×${info.height}×${info.channels}`,
        )
      pixels = data
    }
    return normaliseTokens(imageToTokens(pixels, grid, manifest.patchSize, channels), spec)
  } catch (err) {
    throw new CloudError(
      'CLOUD_IMAGE_INVALID',
      `expected a ${image.encoding} image convertible to ${manifest.name}'s ${side}×${side}×${channels} grid for budget ${budget} but ${(err as Error).message}`,
      { cause: err },
    )
  }
}
