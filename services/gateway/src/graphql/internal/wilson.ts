/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054

/**
 * A proportion `hits / total` with its 95 % Wilson score interval (better than the normal
 * approximation near 0, 1 and for small samples). Null for an empty sample.
 */
export function wilson95(
  hits: number,
  total: number,
): { value: number; low: number; high: number; samples: number } | null {
  if (total <= 0) return null
  const p = hits / total
  const z2 = Z95 * Z95
  const denominator = 1 + z2 / total
  const centre = (p + z2 / (2 * total)) / denominator
  const half = (Z95 * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total))) / denominator
  return { value: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half), samples: total }
}
