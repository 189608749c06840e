/**
 * positions float32 [N, 2]: centre of patch t = r·g + c as ((r + 0.5) / g, (c + 0.5) / g), g = √N
 * (model-manifest.v1 contract).
 */
export function positionsFor(budget: number): Float32Array {
  const g = Math.round(Math.sqrt(budget))
  const out = new Float32Array(budget * 2)
  for (let r = 0; r < g; r++)
    for (let c = 0; c < g; c++) {
      out[(r * g + c) * 2] = (r + 0.5) / g
      out[(r * g + c) * 2 + 1] = (c + 0.5) / g
    }
  return out
}
