import { ValueNoise } from './noise.ts'
import type { Rng } from './rng.ts'

/** Surface families, loosely after DAGM 2007's ten textures. */
export const textureFamilies = ['brushed-metal', 'woven-fabric', 'cast-grainy', 'painted-noise'] as const
export type TextureFamily = (typeof textureFamilies)[number]

/** What was drawn, so defects can be placed against it (e.g. scratches across the brushing). */
export type TextureInfo = {
  family: TextureFamily
  /** Dominant direction in radians (brushing, warp threads); 0 for isotropic families. */
  angle: number
  /** Characteristic feature size in native px (streak length, thread period, grain size). */
  scale: number
  /** Mean grey level of the surface, 0–255. */
  base: number
  /** Peak texture swing around `base`, grey levels. */
  amplitude: number
}

/**
 * Fills `out` (size×size, row-major, grey levels as float) with a surface of `family`.
 * Textures stay below about ±amplitude around base; defects and lighting are added later.
 */
export function renderTexture(rng: Rng, family: TextureFamily, size: number, out: Float32Array): TextureInfo {
  const noise = new ValueNoise(rng)
  const angle = rng.range(0, Math.PI)
  const cos = Math.cos(angle)
  const sin = Math.sin(angle)
  const base = rng.range(70, 180)
  const ou = rng.range(8192, 12288)
  const ov = rng.range(8192, 12288)
  switch (family) {
    case 'brushed-metal': {
      const along = rng.range(30, 120)
      const across = rng.range(0.8, 2.5)
      const amplitude = rng.range(8, 22)
      const mottle = rng.range(40, 90)
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const u = x * cos + y * sin
          const v = -x * sin + y * cos
          const streak = noise.sample(ou + u / along, ov + v / across)
          const fine = noise.sample(ov + u / (along * 0.25), ou + v / (across * 0.5))
          const low = noise.sample(ou + x / mottle + 17.3, ov + y / mottle + 91.1)
          out[y * size + x] = base + amplitude * (0.65 * streak + 0.3 * fine + 0.35 * low)
        }
      }
      return { family, angle, scale: along, base, amplitude }
    }
    case 'woven-fabric': {
      const period = rng.range(6, 16)
      const amplitude = rng.range(10, 26)
      const twill = rng.chance(0.5)
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const u = (x * cos + y * sin) / period + ou
          const v = (-x * sin + y * cos) / period + ov
          const iu = Math.floor(u)
          const iv = Math.floor(v)
          const fu = u - iu
          const fv = v - iv
          const over = twill ? (((iu + iv) % 3) + 3) % 3 === 0 : ((iu + iv) & 1) === 0
          const across = over ? fu : fv
          const along = over ? fv : fu
          const profile = Math.sin(Math.PI * across) * (0.75 + 0.25 * Math.sin(Math.PI * along))
          const fibre = noise.sample(u * 3.1, v * 3.1)
          out[y * size + x] = base + amplitude * (profile - 0.5 + 0.25 * fibre)
        }
      }
      return { family, angle, scale: period, base, amplitude }
    }
    case 'cast-grainy': {
      const grain = rng.range(1.2, 3.5)
      const blotch = rng.range(12, 36)
      const amplitude = rng.range(8, 20)
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const g = noise.sample(ou + x / grain, ov + y / grain)
          const b = noise.sample(ov + x / blotch, ou + y / blotch)
          out[y * size + x] = base + amplitude * (0.6 * g + 0.5 * b)
        }
      }
      return { family, angle: 0, scale: grain, base, amplitude }
    }
    case 'painted-noise': {
      const peel = rng.range(2.5, 6)
      const wave = rng.range(30, 90)
      const amplitude = rng.range(5, 14)
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const p = noise.sample(ou + x / peel, ov + y / peel)
          const w = noise.sample(ov + x / wave, ou + y / wave)
          out[y * size + x] = base + amplitude * (0.5 * p + 0.7 * w)
        }
      }
      return { family, angle: 0, scale: peel, base, amplitude }
    }
    default: {
      const never: never = family
      throw new Error(`unknown texture family ${String(never)}`)
    }
  }
}
