/**
 * What a replay runs over: per-image model outputs with a reference label, from a calibration run
 * (every budget of the edge and cloud models on one labelled set) or from logged inspections (the
 * edge's final rung and the cloud's verdict or a person's review).
 */
import type { CalibrationRecordsV1 } from '../../contracts/calibration-records.v1.ts'
import { summariseRow } from '../../inference/postprocess.ts'
import type { RungOutput } from '../decide.ts'
import { ReplayError } from './errors.ts'

type Common = {
  /** Where the records came from, e.g. `models/edge-vit-s/calibration.json`. */
  dataset: string
  labels: readonly string[]
  /** Per image: the id decide's audit draw hashes (an inspection id, or a dataset item id). */
  ids: readonly string[]
  /** Per image: the reference label's index in `labels`. */
  truth: Int32Array
  edgeModel: string
  cloudModel: string
  /** The question fused into the cloud records, null for vision only. */
  question: string | null
  /** What this data cannot replay, in words. */
  notes: string[]
}

export type CalibrationSet = Common & {
  source: 'calibration'
  /** Per edge budget: the edge's answer for every image. */
  edge: ReadonlyMap<number, readonly RungOutput[]>
  /** Per cloud budget: the cloud's label index for every image. */
  cloud: ReadonlyMap<number, Int32Array>
  /** Per budget, ms per image. */
  edgeLatencyMs: ReadonlyMap<number, number>
  cloudLatencyMs: ReadonlyMap<number, number>
}

export type LoggedSet = Common & {
  source: 'logged'
  /** Per image: the edge's answer at its final rung, as logged. */
  rungs: readonly RungOutput[]
  /** Per image: edge tokens the live ladder spent. */
  edgeTokens: Float64Array
  /** Per image: logged edge latency, ms. */
  edgeLatencyMs: Float64Array
  /** Per image: logged cloud label index, −1 when the case never reached the cloud. */
  cloudLabel: Int32Array
  /** Mean logged cloud latency, ms (used for every replayed escalation). */
  cloudLatencyMs: number
}

export type ReplaySet = CalibrationSet | LoggedSet

/** Per budget, ms per image; a budget missing here falls back to the records' own measurement. */
export type LatencyTable = Readonly<Record<string, number>>

export type CalibrationSetInput = {
  edge: CalibrationRecordsV1
  cloud: CalibrationRecordsV1
  /** The line's question: the cloud pass fused with it is used when recorded, else the vision-only pass. */
  question: string | null
  /** Latency per budget from the manifests' metrics (the figures the models card publishes). */
  edgeLatencyMs?: LatencyTable
  cloudLatencyMs?: LatencyTable
  dataset: string
}

/** Answer summary of one stored probability row (the edge's own post-processing: lib/inference summariseRow). */
function rungOf(
  probabilities: readonly number[],
  image: number,
  k: number,
  scale: number,
  budget: number,
  labels: readonly string[],
): RungOutput {
  const row = new Float32Array(k)
  for (let j = 0; j < k; j++) row[j] = probabilities[image * k + j]! / scale
  const s = summariseRow(row, 0, k)
  return { budget, label: labels[s.top]!, confidence: s.confidence, margin: s.margin, entropy: s.entropy }
}

function sameImages(a: CalibrationRecordsV1, b: CalibrationRecordsV1): string | null {
  if (a.labels.join() !== b.labels.join())
    return `labels differ: ${a.labels.join(', ')} against ${b.labels.join(', ')}`
  if (a.images.ids.length !== b.images.ids.length)
    return `${a.images.ids.length} images against ${b.images.ids.length}`
  for (let i = 0; i < a.images.ids.length; i++)
    if (a.images.ids[i] !== b.images.ids[i] || a.images.truth[i] !== b.images.truth[i])
      return `image ${i} is ${a.images.ids[i]} in one and ${b.images.ids[i]} in the other`
  return null
}

/**
 * Joins an edge and a cloud calibration file over the same images.
 * @throws ReplayError REPLAY_RECORDS_INVALID when they are not the same images, or a role is wrong.
 */
export function calibrationSet(input: CalibrationSetInput): CalibrationSet {
  const { edge, cloud } = input
  if (edge.role !== 'edge' || cloud.role !== 'cloud')
    throw new ReplayError(
      'REPLAY_RECORDS_INVALID',
      `expected edge records and cloud records but received ${edge.model} (${edge.role}) and ${cloud.model} (${cloud.role})`,
    )
  const mismatch = sameImages(edge, cloud)
  if (mismatch !== null)
    throw new ReplayError(
      'REPLAY_RECORDS_INVALID',
      `expected ${edge.model} and ${cloud.model} records over the same images but ${mismatch}`,
    )
  const labels = edge.labels
  const k = labels.length
  const n = edge.images.ids.length
  const notes: string[] = []
  const edgePass = edge.passes.find((p) => p.question === null) ?? edge.passes[0]!
  const fused = input.question === null ? undefined : cloud.passes.find((p) => p.question === input.question)
  const cloudPass = fused ?? cloud.passes.find((p) => p.question === null) ?? cloud.passes[0]!
  if (input.question !== null && fused === undefined)
    notes.push(
      `the cloud records hold no pass with the line's question ${JSON.stringify(input.question)}: the cloud is replayed ${cloudPass.question === null ? 'vision only' : `with ${JSON.stringify(cloudPass.question)}`}`,
    )

  const edgeRungs = new Map<number, RungOutput[]>()
  const edgeLatencyMs = new Map<number, number>()
  for (const b of edgePass.budgets) {
    edgeRungs.set(
      b.budget,
      Array.from({ length: n }, (_, i) => rungOf(b.probabilities, i, k, edge.scale, b.budget, labels)),
    )
    edgeLatencyMs.set(b.budget, input.edgeLatencyMs?.[String(b.budget)] ?? b.latencyMsPerImage)
  }
  const cloudLabels = new Map<number, Int32Array>()
  const cloudLatencyMs = new Map<number, number>()
  for (const b of cloudPass.budgets) {
    const out = new Int32Array(n)
    const row = new Float32Array(k)
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) row[j] = b.probabilities[i * k + j]!
      out[i] = summariseRow(row, 0, k).top
    }
    cloudLabels.set(b.budget, out)
    cloudLatencyMs.set(b.budget, input.cloudLatencyMs?.[String(b.budget)] ?? b.latencyMsPerImage)
  }
  return {
    source: 'calibration',
    dataset: input.dataset,
    labels,
    ids: edge.images.ids,
    truth: Int32Array.from(edge.images.truth),
    edgeModel: edge.model,
    cloudModel: cloud.model,
    question: cloudPass.question,
    notes,
    edge: edgeRungs,
    cloud: cloudLabels,
    edgeLatencyMs,
    cloudLatencyMs,
  }
}

/** One logged inspection, reduced to what a replay reads. */
export type LoggedCase = {
  id: string
  /** The edge's calibrated probabilities at its final rung, by label. */
  edgeProbabilities: Readonly<Record<string, number>>
  edgeBudget: number
  edgeTokens: number
  edgeLatencyMs: number
  cloudLabel: string | null
  cloudLatencyMs: number | null
  /** A person's label (the latest review), which wins over the cloud as the reference. */
  reviewLabel: string | null
}

/**
 * Logged cases with a reference (a review, else the cloud's verdict) as a replay set. Cases
 * without either, or whose labels are not the model's, are left out and counted in `notes`.
 */
export function loggedSet(input: {
  cases: readonly LoggedCase[]
  labels: readonly string[]
  edgeModel: string
  cloudModel: string
  question: string | null
  dataset: string
}): LoggedSet {
  const { labels } = input
  const k = labels.length
  const index = new Map(labels.map((l, i) => [l, i]))
  const ids: string[] = []
  const truth: number[] = []
  const rungs: RungOutput[] = []
  const edgeTokens: number[] = []
  const edgeLatency: number[] = []
  const cloudLabel: number[] = []
  let cloudMsSum = 0
  let cloudMsCount = 0
  let skipped = 0
  let noCloud = 0
  for (const c of input.cases) {
    const reference = c.reviewLabel ?? c.cloudLabel
    const t = reference === null ? undefined : index.get(reference)
    const row = new Float32Array(k)
    let known = true
    for (const [label, p] of Object.entries(c.edgeProbabilities)) {
      const j = index.get(label)
      if (j === undefined) known = false
      else row[j] = p
    }
    if (t === undefined || !known) {
      skipped++
      continue
    }
    const s = summariseRow(row, 0, k)
    ids.push(c.id)
    truth.push(t)
    rungs.push({
      budget: c.edgeBudget,
      label: labels[s.top]!,
      confidence: s.confidence,
      margin: s.margin,
      entropy: s.entropy,
    })
    edgeTokens.push(c.edgeTokens)
    edgeLatency.push(c.edgeLatencyMs)
    const cl = c.cloudLabel === null ? undefined : index.get(c.cloudLabel)
    cloudLabel.push(cl ?? -1)
    if (cl === undefined) noCloud++
    if (c.cloudLatencyMs !== null) {
      cloudMsSum += c.cloudLatencyMs
      cloudMsCount++
    }
  }
  const notes = [
    'logged cases are replayed at the rung the edge ended on: the edge budget, the ladder, the models and the cloud budget are those of the logs, only thresholds and the audit rate vary',
    'a case the replay escalates that never reached the cloud gets its reviewed label as the cloud answer',
  ]
  if (skipped > 0)
    notes.push(`${skipped} logged cases without a review or cloud verdict (or with unknown labels) left out`)
  if (noCloud > 0) notes.push(`${noCloud} of the replayed cases have a review but no cloud verdict`)
  return {
    source: 'logged',
    dataset: input.dataset,
    labels,
    ids,
    truth: Int32Array.from(truth),
    edgeModel: input.edgeModel,
    cloudModel: input.cloudModel,
    question: input.question,
    notes,
    rungs,
    edgeTokens: Float64Array.from(edgeTokens),
    edgeLatencyMs: Float64Array.from(edgeLatency),
    cloudLabel: Int32Array.from(cloudLabel),
    cloudLatencyMs: cloudMsCount > 0 ? cloudMsSum / cloudMsCount : 0,
  }
}
