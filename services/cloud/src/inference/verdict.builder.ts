import type { ModelManifestV1 } from '../../../../lib/contracts/model-manifest.v1.ts'
import type { ImageInference } from '../../../../lib/inference/index.ts'
import type { EscalationV1, VerdictV2 } from '../../../../lib/messaging/index.ts'
import type { Price } from '../pricing/price-book.ts'

/** What one case went through, besides the model's answer. */
export type CaseRun = {
  escalation: EscalationV1
  model: { manifest: ModelManifestV1; executionProvider: string }
  budget: number
  /** Question words fed to the model (non-padding ids). */
  questionTokens: number
  image: ImageInference
  batchSize: number
  /** Wall time of its batch's model run, ms. */
  runMs: number
  /** Handed to the model (before admission) → result, ms. */
  waitedMs: number
  /** Epoch ms the cloud received the record, and decided. */
  receivedAt: number
  decidedAt: number
  price: Price
  instance: string
}

const round = (x: number, digits: number) => {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/**
 * The verdict for one case. Pure: the late flag compares `decidedAt` with the escalation's
 * deadline; cost = vision tokens / 1000 × price (the policy prices vision tokens); probabilities
 * are rounded to 1e-6 and patch scores to 1e-4 to keep the JSON small.
 */
export function buildVerdict(run: CaseRun): VerdictV2 {
  const { escalation: e, model, image } = run
  const labels = model.manifest.labels
  const probabilities: Record<string, number> = {}
  labels.forEach((label, i) => {
    probabilities[label] = round(image.probabilities[i] ?? 0, 6)
  })
  const decidedAt = new Date(run.decidedAt).toISOString()
  const late = e.deadlineAt !== null && run.decidedAt > Date.parse(e.deadlineAt)
  const answered = e.question !== null && image.answerProbability !== undefined
  return {
    inspectionId: e.inspectionId,
    plantId: e.plantId,
    lineId: e.lineId,
    policyVersion: e.policyVersion,
    reason: e.reason,
    escalatedAt: e.escalatedAt,
    deadlineAt: e.deadlineAt,
    decidedAt,
    late,
    question: e.question,
    requestedBudget: e.cloud.budget,
    cloud: {
      model: { name: model.manifest.name, sha256: model.manifest.sha256 },
      budget: run.budget,
      label: image.label,
      probabilities,
      patchScores: image.patchScores ? Array.from(image.patchScores, (s) => round(s, 4)) : [],
      latencyMs: round(run.runMs, 3),
    },
    answer: answered
      ? { yes: image.answerProbability! >= 0.5, probability: round(image.answerProbability!, 6) }
      : null,
    tokens: { vision: run.budget, question: run.questionTokens },
    cost: {
      per1kTokens: run.price.per1kTokens,
      amount: (run.budget / 1000) * run.price.per1kTokens,
      priceSource: run.price.source,
    },
    latency: {
      totalMs: Math.max(0, run.decidedAt - Date.parse(e.escalatedAt)),
      cloudMs: Math.max(0, run.decidedAt - run.receivedAt),
      queueMs: round(Math.max(0, run.waitedMs - run.runMs), 3),
      inferenceMs: round(run.runMs, 3),
    },
    batchSize: run.batchSize,
    executionProvider: model.executionProvider,
    instance: run.instance,
  }
}
