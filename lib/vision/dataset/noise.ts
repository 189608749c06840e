import type { Rng } from './rng.ts'

const LATTICE = 128
const MASK = LATTICE - 1

/**
 * 2-D value noise on a wrapped 128×128 lattice of uniform values in [-1, 1], smoothstep-interpolated.
 * Cheap enough to sample a few octaves per pixel of a 256×256 image in a couple of milliseconds.
 */
export class ValueNoise {
  private readonly lattice: Float32Array

  constructor(rng: Rng) {
    this.lattice = new Float32Array(LATTICE * LATTICE)
    let x = Math.floor(rng.next() * 0xffff_fffe) + 1
    for (let i = 0; i < this.lattice.length; i++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      this.lattice[i] = (x >>> 0) / 0x8000_0000 - 1
    }
  }

  /**
   * Noise at lattice coordinates (u, v); one lattice cell = one unit. Range about [-1, 1].
   * Coordinates must be >= 0 (callers add an offset): truncation stands in for floor.
   */
  sample(u: number, v: number): number {
    const iu = u | 0
    const iv = v | 0
    let fu = u - iu
    let fv = v - iv
    fu = fu * fu * (3 - 2 * fu)
    fv = fv * fv * (3 - 2 * fv)
    const x0 = iu & MASK
    const x1 = (iu + 1) & MASK
    const y0 = (iv & MASK) * LATTICE
    const y1 = ((iv + 1) & MASK) * LATTICE
    const l = this.lattice
    const a = l[y0 + x0]! + (l[y0 + x1]! - l[y0 + x0]!) * fu
    const b = l[y1 + x0]! + (l[y1 + x1]! - l[y1 + x0]!) * fu
    return a + (b - a) * fv
  }
}

const GAUSS_BITS = 18
const GAUSS_MASK = (1 << GAUSS_BITS) - 1
let gaussTable: Float32Array | undefined

/**
 * A fixed table of 2^18 approximately N(0,1) values (sum of 4 uniforms, xorshift32 with a
 * constant seed), the same in every process. Sensor noise reads it from a random offset.
 */
export function gaussianTable(): Float32Array {
  if (gaussTable) return gaussTable
  const t = new Float32Array(1 << GAUSS_BITS)
  let s = 0x6d2b79f5
  const scale = Math.sqrt(3) / 0x8000_0000 / 2
  for (let i = 0; i < t.length; i++) {
    let acc = 0
    for (let k = 0; k < 4; k++) {
      s ^= s << 13
      s ^= s >>> 17
      s ^= s << 5
      acc += (s >>> 0) - 0x8000_0000
    }
    t[i] = acc * scale
  }
  gaussTable = t
  return t
}

export const gaussianMask = GAUSS_MASK
