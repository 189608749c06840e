/** Resample tables per (images, draws, seed): building one costs more than using it, so keep the last few. */
const tables = new Map<string, Int32Array>()
const MAX_TABLES = 4

/** Small seeded PRNG (mulberry32), uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function resamples(n: number, draws: number, seed: number): Int32Array {
  const key = `${n}:${draws}:${seed}`
  let table = tables.get(key)
  if (table === undefined) {
    const rand = mulberry32(seed)
    table = new Int32Array(n * draws)
    for (let i = 0; i < table.length; i++) table[i] = Math.floor(rand() * n)
    if (tables.size >= MAX_TABLES) tables.delete(tables.keys().next().value!)
    tables.set(key, table)
  }
  return table
}

export type AccuracyIntervalOptions = {
  /** Resamples; default 400. */
  draws?: number
  /** Central coverage; default 0.9. */
  level?: number
  /** PRNG seed; default 1, so the same records give the same interval. */
  seed?: number
}

/**
 * Percentile bootstrap interval of accuracy over images: each draw resamples the images with
 * replacement (the same resamples for every policy of a set, so intervals are comparable).
 * @param correct per image, 1 when the replayed label equals the reference
 * @returns [low, high]; [0, 0] for no images
 */
export function accuracyInterval(correct: Uint8Array, opts: AccuracyIntervalOptions = {}): [number, number] {
  const n = correct.length
  const draws = opts.draws ?? 400
  const level = opts.level ?? 0.9
  if (!(draws >= 2) || !(level > 0 && level < 1))
    throw new RangeError(`Expected draws >= 2 and 0 < level < 1 but received ${draws} and ${level}`)
  if (n === 0) return [0, 0]
  const table = resamples(n, draws, opts.seed ?? 1)
  const acc = new Float64Array(draws)
  for (let d = 0; d < draws; d++) {
    let right = 0
    const base = d * n
    for (let i = 0; i < n; i++) right += correct[table[base + i]!]!
    acc[d] = right / n
  }
  acc.sort()
  const at = (q: number) => acc[Math.min(draws - 1, Math.max(0, Math.round(q * (draws - 1))))]!
  return [at((1 - level) / 2), at((1 + level) / 2)]
}
