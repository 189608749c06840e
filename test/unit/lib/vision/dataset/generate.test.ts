import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createBuffers, generateSample } from '../../../../../lib/vision/dataset/generate.ts'
import { defectSeverity } from '../../../../../lib/vision/dataset/labels.ts'
import { createRng } from '../../../../../lib/vision/dataset/rng.ts'
import { classForSeed, defectClasses, idForSeed, splitSeeds } from '../../../../../lib/vision/index.ts'

const hash = (a: Uint8Array) => createHash('sha256').update(a).digest('hex')

describe('createRng', () => {
  it('is deterministic per seed and differs between neighbouring seeds', () => {
    const a = createRng(42)
    const b = createRng(42)
    const c = createRng(43)
    const xs = Array.from({ length: 5 }, () => a.next())
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs)
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs)
    expect(createRng(2_000_000).next()).not.toBe(createRng(2_000_000 + 2 ** 32).next())
  })
})

describe('generateSample', () => {
  it('is a pure function of (seed, size), also with reused buffers', () => {
    const buffers = createBuffers(64)
    const first = generateSample(1_000_003, 64, buffers)
    generateSample(5, 64, buffers)
    const again = generateSample(1_000_003, 64, buffers)
    expect(hash(again.pixels)).toBe(hash(first.pixels))
    expect(hash(again.mask)).toBe(hash(first.mask))
    expect(again.label).toEqual(first.label)
  })

  it('pins the pixels of one seed (guards against silent changes to the generator)', () => {
    const s = generateSample(12, 64)
    expect(s.label.class).toBe('pit')
    expect(s.label.id).toBe('0000012')
    expect(hash(s.pixels).slice(0, 16)).toMatchInlineSnapshot(`"118f4a490973c2e2"`)
  })

  it('cycles classes by seed so any 5 consecutive seeds are balanced', () => {
    for (const start of [0, splitSeeds.val + 3, splitSeeds.test + 1]) {
      const classes = Array.from({ length: 5 }, (_, i) => classForSeed(start + i)).sort()
      expect(classes).toEqual([...defectClasses].sort())
    }
  })

  it('gives ok images an empty mask and no box, defects a mask whose bounding box is the box', () => {
    for (let seed = 0; seed < 15; seed++) {
      const { mask, label } = generateSample(seed, 128)
      const on: number[] = []
      let other = 0
      mask.forEach((v, i) => {
        if (v === 255) on.push(i)
        else if (v !== 0) other++
      })
      expect(other).toBe(0)
      if (label.class === 'ok') {
        expect(on.length).toBe(0)
        expect(label.box).toBeNull()
        continue
      }
      expect(on.length).toBe(label.area)
      const xs = on.map((i) => i % 128)
      const ys = on.map((i) => Math.floor(i / 128))
      const [x, y, w, h] = label.box!
      expect([x, y, w, h]).toEqual([
        Math.min(...xs),
        Math.min(...ys),
        Math.max(...xs) - Math.min(...xs) + 1,
        Math.max(...ys) - Math.min(...ys) + 1,
      ])
      expect(label.size).toBe(Math.max(w, h))
    }
  })

  it('keeps defect sizes in their classes’ ranges at 256 px', () => {
    const sizes: Record<string, number[]> = {}
    for (let seed = 0; seed < 50; seed++) {
      const { label } = generateSample(seed, 256)
      sizes[label.class] = [...(sizes[label.class] ?? []), label.size]
    }
    expect(Math.max(...sizes.pit!)).toBeLessThanOrEqual(40)
    expect(Math.min(...sizes.pit!)).toBeGreaterThanOrEqual(2)
    expect(Math.min(...sizes.stain!)).toBeGreaterThanOrEqual(30)
    expect(Math.min(...sizes.scratch!)).toBeGreaterThanOrEqual(20)
  })

  it('gives different images for the first seeds of train, val and test', () => {
    const hashes = [splitSeeds.train, splitSeeds.val, splitSeeds.test].map((s) =>
      hash(generateSample(s, 64).pixels),
    )
    expect(new Set(hashes).size).toBe(3)
    expect(splitSeeds.val - splitSeeds.train).toBeGreaterThanOrEqual(1_000_000)
    expect(splitSeeds.test - splitSeeds.val).toBeGreaterThanOrEqual(1_000_000)
    expect(splitSeeds.test2 - splitSeeds.test).toBeGreaterThanOrEqual(1_000_000)
    expect(idForSeed(splitSeeds.test)).toBe('2000000')
  })
})

describe('generateSample with a second defect', () => {
  it('draws nothing extra at probability 0, so older datasets keep their pixels', () => {
    const plain = generateSample(12, 64)
    const zero = generateSample(12, 64, createBuffers(64), { secondDefect: 0 })
    expect(hash(zero.pixels)).toBe(hash(plain.pixels))
    expect(zero.also).toBeNull()
  })

  it('at probability 1 gives every defect image a second, different defect; the more severe names the image', () => {
    let renamed = 0
    for (let seed = 0; seed < 40; seed++) {
      const s = generateSample(seed, 128, createBuffers(128), { secondDefect: 1 })
      const seedClass = classForSeed(seed)
      if (seedClass === 'ok') {
        expect(s.also).toBeNull()
        continue
      }
      const also = s.also!
      expect(also).not.toBeNull()
      expect(also.class).not.toBe(s.label.class)
      expect([s.label.class, also.class]).toContain(seedClass)
      const cls = s.label.class as keyof typeof defectSeverity
      expect(defectSeverity[cls]).toBeGreaterThan(defectSeverity[also.class as keyof typeof defectSeverity])
      if (s.label.class !== seedClass) renamed++
      // The second defect's own mask lies within the image's mask (every defect pixel).
      let inside = 0
      let own = 0
      also.mask.forEach((v, i) => {
        if (v === 255) {
          own++
          if (s.mask[i] === 255) inside++
        }
      })
      expect(inside).toBe(own)
      expect(own).toBe(also.area)
    }
    // Seeds of the least severe classes are renamed by their second defect.
    expect(renamed).toBeGreaterThan(0)
  })
})
