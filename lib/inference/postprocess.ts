/**
 * Output post-processing, row-major float32 throughout:
 *   logits        [B, K]  → probabilities [B, K] = softmax(logits / T)   (T = manifest temperature for N)
 *   patch_logits  [B, N]  → patch scores  [B, N] = sigmoid(patch_logits)
 *   answer_logit  [B, 1]  → answer probability [B] = sigmoid(answer_logit)
 * Per row: top = argmax probability, margin = p(top) − p(second), entropy = −Σ p·ln p (nats).
 */

/** Writes softmax(logits[row] / temperature) for every row of a [rows, k] array into `out`. */
export function softmaxRows(logits: Float32Array, k: number, temperature: number, out: Float32Array): void {
  const rows = logits.length / k
  for (let r = 0; r < rows; r++) {
    const o = r * k
    let max = Number.NEGATIVE_INFINITY
    for (let i = 0; i < k; i++) max = Math.max(max, logits[o + i]! / temperature)
    let sum = 0
    for (let i = 0; i < k; i++) {
      const e = Math.exp(logits[o + i]! / temperature - max)
      out[o + i] = e
      sum += e
    }
    for (let i = 0; i < k; i++) out[o + i] = out[o + i]! / sum
  }
}

/** Elementwise logistic function into `out` (may be the same array). */
export function sigmoidInto(x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) out[i] = 1 / (1 + Math.exp(-x[i]!))
}

/** Summary of one probability row. */
export interface RowSummary {
  top: number
  confidence: number
  margin: number
  /** Shannon entropy in nats. */
  entropy: number
}

/** argmax, margin to the runner-up and entropy of `p[offset .. offset+k)`. */
export function summariseRow(p: Float32Array, offset: number, k: number): RowSummary {
  let top = 0
  let best = Number.NEGATIVE_INFINITY
  let second = Number.NEGATIVE_INFINITY
  let entropy = 0
  for (let i = 0; i < k; i++) {
    const v = p[offset + i]!
    if (v > best) {
      second = best
      best = v
      top = i
    } else if (v > second) second = v
    if (v > 0) entropy -= v * Math.log(v)
  }
  return { top, confidence: best, margin: k > 1 ? best - second : best, entropy }
}
