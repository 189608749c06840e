/**
 * The latency histogram of the hourly rollups (migration 0006, `tokenline_latency_bucket`):
 * bucket 0 = [0, 1) ms, bucket b ≥ 1 = [2^((b−1)/8), 2^(b/8)) ms, 8 buckets per octave, the last
 * (288) open-ended from 2^35.875 ms. Percentiles read from it stand for a bucket's geometric middle,
 * so they are within a factor 2^(1/16) (±4.4 %) of the exact value, or 0.5 ms below 1 ms.
 */

/** Buckets per doubling of the latency. */
export const BUCKETS_PER_OCTAVE = 8
/** Highest bucket index (the SQL function caps there). */
export const LAST_BUCKET = 288

/** The value a bucket stands for (ms): its geometric middle; 0.5 for [0, 1); the lower bound for the last. */
export function bucketValue(bucket: number): number {
  if (bucket <= 0) return 0.5
  if (bucket >= LAST_BUCKET) return 2 ** ((LAST_BUCKET - 1) / BUCKETS_PER_OCTAVE)
  return 2 ** ((bucket - 0.5) / BUCKETS_PER_OCTAVE)
}

/** [lower, upper) of a bucket (ms); upper is Infinity for the last. */
export function bucketBounds(bucket: number): [number, number] {
  if (bucket <= 0) return [0, 1]
  const lower = 2 ** ((bucket - 1) / BUCKETS_PER_OCTAVE)
  return [lower, bucket >= LAST_BUCKET ? Number.POSITIVE_INFINITY : 2 ** (bucket / BUCKETS_PER_OCTAVE)]
}

/**
 * p-quantiles of a histogram (bucket → count) as `percentile_cont` computes them over the values
 * (linear between the two ranks around p·(n−1)), each value replaced by its bucket's value.
 * Null for every p when the histogram is empty.
 */
export function histogramPercentiles(
  counts: ReadonlyMap<number, number>,
  ps: readonly number[],
): (number | null)[] {
  const buckets = [...counts.entries()].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0])
  const total = buckets.reduce((sum, [, n]) => sum + n, 0)
  if (total === 0) return ps.map(() => null)
  const valueAtRank = (rank: number): number => {
    let seen = 0
    for (const [bucket, n] of buckets) {
      seen += n
      if (rank < seen) return bucketValue(bucket)
    }
    return bucketValue(buckets[buckets.length - 1]![0])
  }
  return ps.map((p) => {
    const position = p * (total - 1)
    const lo = Math.floor(position)
    const hi = Math.ceil(position)
    const low = valueAtRank(lo)
    return lo === hi ? low : low + (position - lo) * (valueAtRank(hi) - low)
  })
}
