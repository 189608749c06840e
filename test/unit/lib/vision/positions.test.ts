import { describe, expect, it } from 'vitest'
import { positionsFor, VisionError } from '../../../../lib/vision/index.ts'

describe('positionsFor', () => {
  it('gives ((r+0.5)/g, (c+0.5)/g) for token t = r·g + c', () => {
    const p = positionsFor(16)
    expect(p).toBeInstanceOf(Float32Array)
    expect(p.length).toBe(32)
    const t = 2 * 4 + 3
    expect(p[2 * t]).toBeCloseTo(2.5 / 4, 7)
    expect(p[2 * t + 1]).toBeCloseTo(3.5 / 4, 7)
    expect([...positionsFor(4)]).toEqual([0.25, 0.25, 0.25, 0.75, 0.75, 0.25, 0.75, 0.75])
  })

  it('stays inside (0, 1) and is symmetric about the centre', () => {
    const p = positionsFor(256)
    for (const v of p) expect(v > 0 && v < 1).toBe(true)
    const mean = p.reduce((a, b) => a + b, 0) / p.length
    expect(mean).toBeCloseTo(0.5, 6)
  })

  it('refuses a budget that is not a perfect square', () => {
    expect(() => positionsFor(50)).toThrow(VisionError)
    try {
      positionsFor(0)
    } catch (err) {
      expect((err as VisionError).code).toBe('VISION_BUDGET_UNSUPPORTED')
    }
  })
})
