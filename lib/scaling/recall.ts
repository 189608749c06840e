/** Recall of one class: correct / count; error = 1 − recall. */
export interface ClassRecall {
  recall: number
  error: number
  count: number
}

/**
 * Per-class recall over label indices. Classes with no samples are left out (their recall is
 * undefined, not 0).
 */
export function perClassRecall(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  labels: readonly string[],
): Record<string, ClassRecall> {
  if (truth.length !== predicted.length)
    throw new RangeError(
      `Expected one prediction per sample (${truth.length}) but received ${predicted.length}`,
    )
  const count = new Array<number>(labels.length).fill(0)
  const hit = new Array<number>(labels.length).fill(0)
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!
    count[t]!++
    if (predicted[i] === t) hit[t]!++
  }
  const out: Record<string, ClassRecall> = {}
  labels.forEach((label, k) => {
    if (count[k]! === 0) return
    const recall = hit[k]! / count[k]!
    out[label] = { recall, error: 1 - recall, count: count[k]! }
  })
  return out
}

/** Fraction of equal entries. */
export function accuracyOf(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  if (truth.length === 0) return 0
  let hit = 0
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) hit++
  return hit / truth.length
}
