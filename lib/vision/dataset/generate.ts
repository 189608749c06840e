import { blob, disc, emptyRect, type Point, type Rect, strokeSegment } from './draw.ts'
import {
  type DefectClass,
  defectClasses,
  type LookalikeKind,
  lookalikeKinds,
  type SampleLabel,
} from './labels.ts'
import { gaussianMask, gaussianTable } from './noise.ts'
import { createRng, type Rng } from './rng.ts'
import { renderTexture, type TextureInfo, textureFamilies } from './textures.ts'

/** One generated image: grey u8 pixels and a u8 mask (255 = defect), both size×size row-major. */
export type GeneratedSample = {
  pixels: Uint8Array
  mask: Uint8Array
  label: Omit<SampleLabel, 'file' | 'mask'>
}

/** Scratch buffers reused across samples of one size (the generator allocates nothing per pixel). */
export type GeneratorBuffers = { surface: Float32Array; cover: Float32Array; size: number }

export function createBuffers(size: number): GeneratorBuffers {
  return { surface: new Float32Array(size * size), cover: new Float32Array(size * size), size }
}

/** Class of the image with `seed`: seeds cycle through the classes, so any run of 5 seeds is balanced. */
export function classForSeed(seed: number): DefectClass {
  return defectClasses[seed % defectClasses.length]!
}

/** Image id for a seed: 7+ digits, zero-padded, so ids sort like seeds. */
export function idForSeed(seed: number): string {
  return String(seed).padStart(7, '0')
}

/** Grey-level swing of a defect of strength `contrast` on this texture; fine defects get the larger one. */
function defectDelta(tex: TextureInfo, contrast: number, fine: boolean): number {
  const floor = tex.amplitude * 0.6 + 12
  return fine ? floor * (1.1 + 1.9 * contrast) : floor * (0.8 + 1.4 * contrast)
}

/** A direction at least 25° away from the texture's dominant one, so a scratch never hides in the grain. */
function crossAngle(rng: Rng, tex: TextureInfo): number {
  if (tex.family !== 'brushed-metal' && tex.family !== 'woven-fabric') return rng.range(0, Math.PI)
  const off = rng.range((25 * Math.PI) / 180, Math.PI - (25 * Math.PI) / 180)
  return tex.angle + off
}

function inside(rng: Rng, size: number, margin: number): Point {
  return { x: rng.range(margin, size - margin), y: rng.range(margin, size - margin) }
}

function drawScratch(rng: Rng, tex: TextureInfo, size: number, cover: Float32Array, touched: Rect): void {
  const length = rng.range(0.22, 0.75) * size
  const angle = crossAngle(rng, tex)
  const mid = inside(rng, size, size * 0.15)
  const dx = (Math.cos(angle) * length) / 2
  const dy = (Math.sin(angle) * length) / 2
  const bend = rng.range(-0.08, 0.08) * length
  const half = rng.pick([0.5, 0.5, 0.75, 1])
  const steps = 8
  let prev: Point = { x: mid.x - dx, y: mid.y - dy }
  for (let s = 1; s <= steps; s++) {
    const t = s / steps
    const off = bend * 4 * t * (1 - t)
    const p = {
      x: mid.x - dx + 2 * dx * t - Math.sin(angle) * off,
      y: mid.y - dy + 2 * dy * t + Math.cos(angle) * off,
    }
    strokeSegment(cover, size, prev, p, half, half, touched)
    prev = p
  }
}

function drawPits(rng: Rng, size: number, cover: Float32Array, touched: Rect): void {
  const count = rng.pick([1, 1, 1, 2, 3])
  const centre = inside(rng, size, 16)
  for (let k = 0; k < count; k++) {
    const p = k === 0 ? centre : { x: centre.x + rng.range(-14, 14), y: centre.y + rng.range(-14, 14) }
    disc(cover, size, p, rng.range(1, 3), touched)
  }
}

function drawStain(rng: Rng, size: number, cover: Float32Array, touched: Rect): void {
  const radius = rng.range(20, 55)
  const harmonics = [2, 3, 5].map((k) => ({ k, amp: rng.range(0, 0.12), phase: rng.range(0, 2 * Math.PI) }))
  blob(cover, size, inside(rng, size, radius * 0.8), radius, rng.range(3, radius * 0.3), harmonics, touched)
}

function crackPath(rng: Rng, start: Point, angle: number, length: number): Point[] {
  const pts: Point[] = [start]
  let p = start
  let a = angle
  let walked = 0
  while (walked < length) {
    const step = rng.range(3, 8)
    a += rng.range(-0.6, 0.6)
    a = angle + Math.max(-0.9, Math.min(0.9, a - angle))
    p = { x: p.x + Math.cos(a) * step, y: p.y + Math.sin(a) * step }
    pts.push(p)
    walked += step
  }
  return pts
}

function strokePath(
  cover: Float32Array,
  size: number,
  pts: Point[],
  h0: number,
  h1: number,
  touched: Rect,
): void {
  for (let k = 1; k < pts.length; k++) {
    const ta = (k - 1) / (pts.length - 1)
    const tb = k / (pts.length - 1)
    strokeSegment(cover, size, pts[k - 1]!, pts[k]!, h0 + (h1 - h0) * ta, h0 + (h1 - h0) * tb, touched)
  }
}

function drawCrack(rng: Rng, size: number, cover: Float32Array, touched: Rect): void {
  const length = rng.range(0.2, 0.6) * size
  const angle = rng.range(0, 2 * Math.PI)
  const start = inside(rng, size, size * 0.2)
  const main = crackPath(
    rng,
    { x: start.x - (Math.cos(angle) * length) / 2, y: start.y - (Math.sin(angle) * length) / 2 },
    angle,
    length,
  )
  const width = rng.range(0.5, 1.5)
  strokePath(cover, size, main, width, 0.5, touched)
  const branches = rng.int(1, 3)
  for (let b = 0; b < branches; b++) {
    const at = main[Math.floor(rng.range(0.2, 0.8) * main.length)]!
    const side = rng.chance(0.5) ? 1 : -1
    const path = crackPath(rng, at, angle + side * rng.range(0.35, 1.1), length * rng.range(0.25, 0.55))
    strokePath(cover, size, path, Math.max(0.5, width * 0.7), 0.5, touched)
  }
}

function gaussianProfile(size: number, centre: number, sigma: number): Float32Array {
  const g = new Float32Array(size)
  for (let k = 0; k < size; k++) g[k] = Math.exp(-((k - centre) ** 2) / (2 * sigma * sigma))
  return g
}

/** Adds a harmless feature directly to the surface (no mask): much fainter or broader than any defect. */
function addLookalike(
  rng: Rng,
  kind: LookalikeKind,
  tex: TextureInfo,
  size: number,
  surface: Float32Array,
): void {
  switch (kind) {
    case 'faint-shading': {
      const c = inside(rng, size, 0)
      const sigma = rng.range(35, 70)
      const delta = (rng.chance(0.5) ? 1 : -1) * rng.range(3, 7)
      const gx = gaussianProfile(size, c.x, sigma)
      const gy = gaussianProfile(size, c.y, sigma)
      for (let y = 0; y < size; y++) {
        const dy = delta * gy[y]!
        for (let x = 0; x < size; x++) surface[y * size + x]! += dy * gx[x]!
      }
      return
    }
    case 'polish-mark': {
      const c = inside(rng, size, 30)
      const sigma = rng.range(18, 40)
      const strength = rng.range(0.3, 0.55)
      const gx = gaussianProfile(size, c.x, sigma)
      const gy = gaussianProfile(size, c.y, sigma)
      for (let y = 0; y < size; y++) {
        const wy = strength * gy[y]!
        if (wy < 1e-4) continue
        for (let x = 0; x < size; x++) {
          const i = y * size + x
          surface[i] = surface[i]! + (tex.base - surface[i]!) * wy * gx[x]!
        }
      }
      return
    }
    case 'light-streak': {
      const angle = rng.range(0, Math.PI)
      const c = inside(rng, size, size * 0.2)
      const width = rng.range(8, 20)
      const delta = (rng.chance(0.5) ? 1 : -1) * rng.range(3, 6)
      const nx = -Math.sin(angle)
      const ny = Math.cos(angle)
      const steps = 8
      const reach = Math.ceil(size * 1.5) * steps
      const table = new Float32Array(2 * reach + 1)
      for (let k = 0; k < table.length; k++) {
        const d = (k - reach) / steps
        table[k] = delta * Math.exp(-(d * d) / (2 * width * width))
      }
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const d = (x - c.x) * nx + (y - c.y) * ny
          surface[y * size + x]! += table[Math.round(d * steps) + reach]!
        }
      }
      return
    }
    default: {
      const never: never = kind
      throw new Error(`unknown look-alike ${String(never)}`)
    }
  }
}

/**
 * Generates the image for `seed` at `size`×`size` px: texture, optional look-alike, the defect of
 * `classForSeed(seed)`, illumination gradient, sensor noise. Pure function of (seed, size).
 */
export function generateSample(
  seed: number,
  size = 256,
  buffers: GeneratorBuffers = createBuffers(size),
): GeneratedSample {
  if (buffers.size !== size)
    throw new RangeError(`expected buffers for size ${size} but received ${buffers.size}`)
  const rng = createRng(seed)
  const cls = classForSeed(seed)
  const { surface, cover } = buffers
  const texture = rng.pick(textureFamilies)
  const tex = renderTexture(rng, texture, size, surface)
  const lookalike: LookalikeKind | null = rng.chance(0.35) ? rng.pick(lookalikeKinds) : null
  if (lookalike) addLookalike(rng, lookalike, tex, size, surface)

  const mask = new Uint8Array(size * size)
  let box: [number, number, number, number] | null = null
  let area = 0
  let contrast: number | null = null
  if (cls !== 'ok') {
    cover.fill(0)
    const touched = emptyRect()
    contrast = Math.round(rng.next() * 1000) / 1000
    let delta: number
    switch (cls) {
      case 'scratch':
        drawScratch(rng, tex, size, cover, touched)
        delta = (rng.chance(0.6) ? 1 : -1) * defectDelta(tex, contrast, true)
        break
      case 'pit':
        drawPits(rng, size, cover, touched)
        delta = (rng.chance(0.8) ? -1.2 : 1.2) * defectDelta(tex, contrast, true)
        break
      case 'stain':
        drawStain(rng, size, cover, touched)
        delta = (rng.chance(0.7) ? -1 : 1) * defectDelta(tex, contrast, false)
        break
      case 'crack':
        drawCrack(rng, size, cover, touched)
        delta = -defectDelta(tex, contrast, true)
        break
      default: {
        const never: never = cls
        throw new Error(`unknown class ${String(never)}`)
      }
    }
    let bx0 = size
    let by0 = size
    let bx1 = -1
    let by1 = -1
    for (let y = touched.y0; y < touched.y1; y++) {
      for (let x = touched.x0; x < touched.x1; x++) {
        const i = y * size + x
        const c = cover[i]!
        if (c === 0) continue
        surface[i]! += delta * c
        if (c >= 0.5) {
          mask[i] = 255
          area++
          if (x < bx0) bx0 = x
          if (y < by0) by0 = y
          if (x > bx1) bx1 = x
          if (y > by1) by1 = y
        }
      }
    }
    if (area > 0) box = [bx0, by0, bx1 - bx0 + 1, by1 - by0 + 1]
  }

  const gAngle = rng.range(0, 2 * Math.PI)
  const gStrength = rng.range(0, 0.35)
  const gx = (Math.cos(gAngle) * gStrength) / size
  const gy = (Math.sin(gAngle) * gStrength) / size
  const sigma = rng.range(1, 4)
  const gauss = gaussianTable()
  const offset = Math.floor(rng.next() * (gaussianMask + 1))
  const half = size / 2
  const pixels = new Uint8Array(size * size)
  for (let y = 0; y < size; y++) {
    const row = 1 + gy * (y - half)
    for (let x = 0; x < size; x++) {
      const i = y * size + x
      const v = surface[i]! * (row + gx * (x - half)) + sigma * gauss[(offset + i) & gaussianMask]!
      pixels[i] = v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0
    }
  }
  const id = idForSeed(seed)
  return {
    pixels,
    mask,
    label: {
      id,
      class: cls,
      box,
      size: box ? Math.max(box[2], box[3]) : 0,
      area,
      contrast,
      texture,
      lookalike,
      seed,
      width: size,
      height: size,
    },
  }
}
