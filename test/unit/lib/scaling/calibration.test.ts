import { describe, expect, it } from 'vitest'
import { expectedCalibrationError } from '../../../../lib/scaling/calibration.ts'

describe('expectedCalibrationError', () => {
  it('is 0 when accuracy equals confidence in every bin', () => {
    const conf = [0.8, 0.8, 0.8, 0.8, 0.8, 0.5, 0.5]
    const ok = [true, true, true, true, false, true, false]
    expect(expectedCalibrationError(conf, ok)).toBeCloseTo(0, 12)
  })

  it('weights each bin gap by its share of samples', () => {
    // bin (0.933, 1]: 2 samples, conf 0.95, acc 0.5 → gap 0.45; bin (0.333, 0.4]: 2 samples, conf 0.35, acc 1 → gap 0.65
    const ece = expectedCalibrationError([0.95, 0.95, 0.35, 0.35], [true, false, true, true])
    expect(ece).toBeCloseTo(0.5 * 0.45 + 0.5 * 0.65, 12)
  })

  it('uses 15 equal-width bins with right-closed edges', () => {
    // 1/15 sits in the first bin with 0.05; 0.07 falls in the second
    const a = expectedCalibrationError([1 / 15, 0.05], [false, false])
    expect(a).toBeCloseTo((1 / 15 + 0.05) / 2, 12)
    const b = expectedCalibrationError([0.07, 0.05], [true, false])
    expect(b).toBeCloseTo(0.5 * 0.93 + 0.5 * 0.05, 12)
  })

  it('is 0 for no samples and refuses mismatched lengths', () => {
    expect(expectedCalibrationError([], [])).toBe(0)
    expect(() => expectedCalibrationError([0.5], [])).toThrow(RangeError)
  })
})
