import type { ModelManifestV1 } from '../contracts/model-manifest.v1.ts'
import { describeValue } from '../errors/index.ts'
import { VisionError } from './errors.ts'

/** Everything needed to turn image bytes into one model's token grid. */
export type TokenGridSpec = {
  /** Token count N = g²; must be a perfect square. */
  budget: number
  /** Side p of a square patch in pixels; the image is resized to (g·p)×(g·p). */
  patchSize: number
  /** 1 = grey ('b-w'), 3 = sRGB. */
  channels: 1 | 3
  /** Per-channel mean of u8/255 (length 1 is broadcast). */
  mean: number[]
  /** Per-channel std of u8/255 (length 1 is broadcast). */
  std: number[]
  /** Decoded width·height above this is refused (decompression bombs); default 50,000,000 px. */
  maxInputPixels?: number
  /** Encoded bytes above this are refused; default 32 MiB. */
  maxInputBytes?: number
}

export const defaultMaxInputPixels = 50_000_000
export const defaultMaxInputBytes = 32 * 1024 * 1024

/** Side g of the grid for budget N, or undefined when N is not a positive perfect square. */
export function gridSide(budget: number): number | undefined {
  if (!Number.isSafeInteger(budget) || budget <= 0) return undefined
  const g = Math.round(Math.sqrt(budget))
  return g * g === budget ? g : undefined
}

/**
 * Checks a spec and returns its grid side.
 * @throws VisionError VISION_BUDGET_UNSUPPORTED for a budget that is not a perfect square,
 *   VISION_SPEC_INVALID for a bad patch size, channel count or normalisation.
 */
export function checkSpec(spec: TokenGridSpec): number {
  const g = gridSide(spec.budget)
  if (g === undefined) {
    throw new VisionError(
      'VISION_BUDGET_UNSUPPORTED',
      `expected a perfect-square token budget (16, 64, 256, …) for budget but received ${describeValue(spec.budget)}`,
    )
  }
  if (!Number.isSafeInteger(spec.patchSize) || spec.patchSize <= 0) {
    throw new VisionError(
      'VISION_SPEC_INVALID',
      `expected a positive integer for patchSize but received ${describeValue(spec.patchSize)}`,
    )
  }
  if (spec.channels !== 1 && spec.channels !== 3) {
    throw new VisionError(
      'VISION_SPEC_INVALID',
      `expected 1 or 3 for channels but received ${describeValue(spec.channels)}`,
    )
  }
  for (const [name, values] of [
    ['mean', spec.mean],
    ['std', spec.std],
  ] as const) {
    if (values.length !== 1 && values.length !== spec.channels) {
      throw new VisionError(
        'VISION_SPEC_INVALID',
        `expected 1 or ${spec.channels} values for ${name} but received ${values.length}`,
      )
    }
  }
  if (spec.std.some((s) => !(s > 0))) {
    throw new VisionError(
      'VISION_SPEC_INVALID',
      `expected positive values for std but received [${spec.std.join(', ')}]`,
    )
  }
  return g
}

/**
 * The token-grid spec of `manifest` at `budget`.
 * @throws VisionError VISION_BUDGET_UNSUPPORTED when the manifest does not list `budget`.
 */
export function specFromManifest(
  manifest: ModelManifestV1,
  budget: number,
  limits: { maxInputPixels?: number; maxInputBytes?: number } = {},
): TokenGridSpec {
  if (!manifest.budgets.includes(budget)) {
    throw new VisionError(
      'VISION_BUDGET_UNSUPPORTED',
      `expected one of model ${manifest.name}'s budgets [${manifest.budgets.join(', ')}] for budget but received ${describeValue(budget)}`,
    )
  }
  const spec: TokenGridSpec = {
    budget,
    patchSize: manifest.patchSize,
    channels: manifest.channels,
    mean: manifest.normalisation.mean,
    std: manifest.normalisation.std,
    ...limits,
  }
  checkSpec(spec)
  return spec
}
