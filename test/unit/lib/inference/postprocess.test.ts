import { describe, expect, it } from 'vitest'
import { sigmoidInto, softmaxRows, summariseRow } from '../../../../lib/inference/postprocess.ts'

describe('softmaxRows', () => {
  it('divides by the temperature before the softmax, row by row', () => {
    const logits = new Float32Array([2, 0, 0, 1, 1, 1])
    const out = new Float32Array(6)
    softmaxRows(logits, 3, 2, out)
    const e = Math.exp(1)
    expect(out[0]).toBeCloseTo(e / (e + 2), 6)
    expect(out[1]).toBeCloseTo(1 / (e + 2), 6)
    expect([...out.subarray(3)].every((v) => Math.abs(v - 1 / 3) < 1e-6)).toBe(true)
  })

  it('stays finite for large logits', () => {
    const out = new Float32Array(2)
    softmaxRows(new Float32Array([1000, 999]), 2, 1, out)
    expect(out[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6)
  })
})

describe('summariseRow', () => {
  it('finds the top class, the margin to the runner-up and the entropy in nats', () => {
    const p = new Float32Array([0.1, 0.6, 0.3])
    const s = summariseRow(p, 0, 3)
    expect(s.top).toBe(1)
    expect(s.confidence).toBeCloseTo(0.6, 6)
    expect(s.margin).toBeCloseTo(0.3, 6)
    expect(s.entropy).toBeCloseTo(-(0.1 * Math.log(0.1) + 0.6 * Math.log(0.6) + 0.3 * Math.log(0.3)), 5)
  })

  it('handles a runner-up that comes before the top', () => {
    const s = summariseRow(new Float32Array([0, 0, 0.4, 0.5, 0.1]), 2, 3)
    expect(s.top).toBe(1)
    expect(s.margin).toBeCloseTo(0.1, 6)
  })
})

describe('sigmoidInto', () => {
  it('maps 0 to one half and is symmetric', () => {
    const out = new Float32Array(3)
    sigmoidInto(new Float32Array([0, 2, -2]), out)
    expect(out[0]).toBe(0.5)
    expect(out[1]! + out[2]!).toBeCloseTo(1, 6)
  })
})
