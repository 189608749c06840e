/**
 * Expected calibration error with equal-width confidence bins:
 *   ECE = Σ_b |B_b| / n · |accuracy(B_b) − mean confidence(B_b)|
 * Bin b holds confidences in (b/bins, (b+1)/bins]; a confidence of 0 goes to the first bin.
 * @param confidences top-class probability per sample, in [0, 1]
 * @param correct whether the top class was right, per sample
 * @param bins default 15
 * @returns 0 for no samples
 */
export function expectedCalibrationError(
  confidences: ArrayLike<number>,
  correct: ArrayLike<boolean>,
  bins = 15,
): number {
  const n = confidences.length
  if (n !== correct.length)
    throw new RangeError(
      `Expected correct to have one entry per confidence (${n}) but received ${correct.length}`,
    )
  if (n === 0) return 0
  const count = new Float64Array(bins)
  const conf = new Float64Array(bins)
  const hits = new Float64Array(bins)
  for (let i = 0; i < n; i++) {
    const c = Math.min(1, Math.max(0, confidences[i]!))
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(c * bins) - 1))
    count[b]!++
    conf[b]! += c
    if (correct[i]) hits[b]!++
  }
  let ece = 0
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue
    ece += (count[b]! / n) * Math.abs(hits[b]! / count[b]! - conf[b]! / count[b]!)
  }
  return ece
}
