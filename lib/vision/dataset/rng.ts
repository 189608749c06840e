/**
 * Seeded pseudo-random numbers for the dataset generator: sfc32 seeded through splitmix32, so a
 * seed (any safe integer) gives the same stream on every platform and Node version.
 */
export type Rng = {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number
  /** Standard normal (Box–Muller). */
  normal(): number
  /** True with probability p. */
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
}

function splitmix32(state: number): () => number {
  let s = state >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
}

/** Creates the generator for `seed`; seeds differing anywhere in their 53 bits give unrelated streams. */
export function createRng(seed: number): Rng {
  const lo = seed >>> 0
  const hi = Math.floor(seed / 0x1_0000_0000) >>> 0
  const mix = splitmix32(lo ^ Math.imul(hi, 0x27d4eb2d))
  let a = mix()
  let b = mix()
  let c = mix() ^ hi
  let d = 1
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) >>> 0
    c = (c + t) >>> 0
    return t
  }
  for (let i = 0; i < 12; i++) u32()
  const next = (): number => u32() / 0x1_0000_0000
  return {
    next,
    range: (lo2, hi2) => lo2 + (hi2 - lo2) * next(),
    int: (lo2, hi2) => lo2 + Math.floor((hi2 - lo2 + 1) * next()),
    normal: () => {
      const u = 1 - next()
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next())
    },
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
  }
}
