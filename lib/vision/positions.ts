/**
 * Patch positions, float32 [N, 2]: for token t = r·g + c the pair ((r + 0.5)/g, (c + 0.5)/g),
 * i.e. the patch centre as (row, column) in (0, 1), in the same order as the token grid.
 */
import { describeValue } from '../errors/index.ts'
import { VisionError } from './errors.ts'
import { gridSide } from './spec.ts'

const cache = new Map<number, Float32Array>()

/**
 * Positions for budget N (cached; treat the result as read-only).
 * @throws VisionError VISION_BUDGET_UNSUPPORTED when N is not a perfect square.
 */
export function positionsFor(budget: number): Float32Array {
  const hit = cache.get(budget)
  if (hit) return hit
  const g = gridSide(budget)
  if (g === undefined) {
    throw new VisionError(
      'VISION_BUDGET_UNSUPPORTED',
      `expected a perfect-square token budget for budget but received ${describeValue(budget)}`,
    )
  }
  const out = new Float32Array(budget * 2)
  for (let r = 0; r < g; r++) {
    for (let c = 0; c < g; c++) {
      const t = r * g + c
      out[2 * t] = (r + 0.5) / g
      out[2 * t + 1] = (c + 0.5) / g
    }
  }
  cache.set(budget, out)
  return out
}
