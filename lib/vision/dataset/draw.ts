/**
 * Anti-aliased coverage rasterisers for the generator. Each writes max(coverage) into `cover`
 * (size×size floats in [0, 1]) so overlapping strokes never add up twice; callers then turn
 * coverage into grey-level change and mask pixels.
 */
export type Point = { x: number; y: number }

/** Integer pixel rectangle, inclusive-exclusive, clipped to the image. */
export type Rect = { x0: number; y0: number; x1: number; y1: number }

export function emptyRect(): Rect {
  return { x0: Number.POSITIVE_INFINITY, y0: Number.POSITIVE_INFINITY, x1: -1, y1: -1 }
}

function grow(r: Rect, x0: number, y0: number, x1: number, y1: number): void {
  r.x0 = Math.min(r.x0, x0)
  r.y0 = Math.min(r.y0, y0)
  r.x1 = Math.max(r.x1, x1)
  r.y1 = Math.max(r.y1, y1)
}

/** Stroke from a to b, half-width tapering linearly from ha to hb px; coverage 1 inside, 1 px soft edge. */
export function strokeSegment(
  cover: Float32Array,
  size: number,
  a: Point,
  b: Point,
  ha: number,
  hb: number,
  touched: Rect,
): void {
  const reach = Math.max(ha, hb) + 1
  const x0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - reach))
  const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - reach))
  const x1 = Math.min(size, Math.ceil(Math.max(a.x, b.x) + reach) + 1)
  const y1 = Math.min(size, Math.ceil(Math.max(a.y, b.y) + reach) + 1)
  if (x0 >= x1 || y0 >= y1) return
  grow(touched, x0, y0, x1, y1)
  const dx = b.x - a.x
  const dy = b.y - a.y
  const len2 = dx * dx + dy * dy || 1e-9
  for (let y = y0; y < y1; y++) {
    const py = y + 0.5 - a.y
    for (let x = x0; x < x1; x++) {
      const px = x + 0.5 - a.x
      let t = (px * dx + py * dy) / len2
      t = t < 0 ? 0 : Math.min(t, 1)
      const ex = px - t * dx
      const ey = py - t * dy
      const d = Math.sqrt(ex * ex + ey * ey)
      const h = ha + (hb - ha) * t
      const c = h + 0.5 - d
      if (c <= 0) continue
      const i = y * size + x
      const v = Math.min(c, 1)
      if (v > cover[i]!) cover[i] = v
    }
  }
}

/** Filled disc of radius r px, 1 px soft edge. */
export function disc(cover: Float32Array, size: number, centre: Point, r: number, touched: Rect): void {
  strokeSegment(cover, size, centre, centre, r, r, touched)
}

const ANGLES = 720

/**
 * Soft irregular blob: radius r(θ) = radius·(1 + Σ harmonics), coverage 1 inside r − soft,
 * smooth fall to 0 at r + soft.
 */
export function blob(
  cover: Float32Array,
  size: number,
  centre: Point,
  radius: number,
  soft: number,
  harmonics: ReadonlyArray<{ k: number; amp: number; phase: number }>,
  touched: Rect,
): void {
  const reach = radius * 1.6 + soft
  const x0 = Math.max(0, Math.floor(centre.x - reach))
  const y0 = Math.max(0, Math.floor(centre.y - reach))
  const x1 = Math.min(size, Math.ceil(centre.x + reach))
  const y1 = Math.min(size, Math.ceil(centre.y + reach))
  if (x0 >= x1 || y0 >= y1) return
  grow(touched, x0, y0, x1, y1)
  const radii = new Float32Array(ANGLES)
  for (let k = 0; k < ANGLES; k++) {
    const th = (k / ANGLES) * 2 * Math.PI - Math.PI
    let r = 1
    for (const h of harmonics) r += h.amp * Math.sin(h.k * th + h.phase)
    radii[k] = r * radius
  }
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const dx = x + 0.5 - centre.x
      const dy = y + 0.5 - centre.y
      const d = Math.sqrt(dx * dx + dy * dy)
      const r = radii[Math.round(((Math.atan2(dy, dx) + Math.PI) / (2 * Math.PI)) * ANGLES) % ANGLES]!
      const t = (r + soft - d) / (2 * soft)
      if (t <= 0) continue
      const s = t >= 1 ? 1 : t * t * (3 - 2 * t)
      const i = y * size + x
      if (s > cover[i]!) cover[i] = s
    }
  }
}
