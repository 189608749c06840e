/**
 * The information limit of a line's images. A budget N = g² with patch side P resizes every image
 * to S = g·P px a side. The smallest grid that holds every source pixel has g = ⌈side / P⌉
 * (side = the larger of width and height, px); a larger grid only interpolates between the same
 * pixels: it costs N tokens of compute and adds no information. Those budgets are "upsampled".
 *
 * Example: 28×28 px images, P = 8: ⌈28/8⌉ = 4, so 16 tokens (32 px) is native and 36 tokens
 * (48 px) and up are upsampled.
 */

/** Source image size in px. */
export type NativeSize = { width: number; height: number }

/** Largest grid side g (patches) that does not upsample an image of `size`: ⌈max(w, h) / P⌉. */
export function nativeGrid(size: NativeSize, patchSize: number): number {
  if (!(patchSize > 0)) throw new RangeError(`Expected a positive patchSize but received ${patchSize}`)
  return Math.max(1, Math.ceil(Math.max(size.width, size.height) / patchSize))
}

/** Whether budget N = g² resizes images of `size` beyond their own resolution (g > nativeGrid). */
export function isUpsampled(budget: number, patchSize: number, size: NativeSize): boolean {
  return Math.round(Math.sqrt(budget)) > nativeGrid(size, patchSize)
}

/**
 * The budget nearest the native resolution: the largest of `budgets` that is not upsampled, or the
 * smallest budget when every one is.
 */
export function nativeBudget(budgets: readonly number[], patchSize: number, size: NativeSize): number {
  const within = budgets.filter((b) => !isUpsampled(b, patchSize, size))
  return within.length > 0 ? Math.max(...within) : Math.min(...budgets)
}
