import type { ModelRole, ModelRow } from '../../../../lib/db/index.ts'
import { policyPayloadV2 } from '../../../../lib/messaging/index.ts'
// Direct file, not lib/scaling/index.ts: the index pulls in the inference pool (onnxruntime).
import { isUpsampled, type NativeSize, nativeBudget } from '../../../../lib/scaling/native-resolution.ts'
import type { FieldProblem, PolicyBody } from './policy-document.ts'

/** The contract's limit on the question fused into the cloud model (characters). */
const MAX_QUESTION_CHARS = 500
/** The contract's limit on egress context (edge patches). */
const MAX_REGION_MARGIN = 64

/**
 * Every problem of a policy at once, field by field, against the registered models: models exist
 * with the right role, budgets and ladder rungs are ones the model supports and strictly
 * ascending, thresholds in range, labels among the edge model's, rates, caps, deadline, prices
 * and question within bounds. Empty = the edges can run it. The v2 contract is checked last, so
 * anything it refuses that the checks above missed is reported too.
 */
export function validatePolicy(body: PolicyBody, models: readonly ModelRow[]): FieldProblem[] {
  const problems: FieldProblem[] = []
  const add = (path: string, message: string) => problems.push({ path, message })

  const edge = modelFor('edge', body.edge.model, models, add)
  if (edge) {
    budgetIn(edge, body.edge.budget, 'edge.budget', add)
    let previous = body.edge.budget
    for (const [i, rung] of body.edge.ladder.entries()) {
      const path = `edge.ladder[${i}]`
      budgetIn(edge, rung, path, add)
      if (rung <= previous) {
        add(
          path,
          `expected ladder budgets strictly ascending above edge.budget ${body.edge.budget}; received ${rung} after ${previous}`,
        )
      }
      previous = Math.max(previous, rung)
    }
  }
  const cloud = modelFor('cloud', body.cloud.model, models, add)
  if (cloud) budgetIn(cloud, body.cloud.budget, 'cloud.budget', add)

  const { escalation } = body
  thresholds(escalation.thresholds, 'escalation.thresholds', add)
  const labels = edge ? new Set(edge.labels) : undefined
  const labelList = edge ? edge.labels.join(', ') : ''
  for (const [label, t] of Object.entries(escalation.perClass)) {
    const path = `escalation.perClass.${label}`
    if (labels && !labels.has(label)) {
      add(
        `${path}.label`,
        `expected a label of ${edge!.name} (${labelList}); received ${JSON.stringify(label)}`,
      )
    }
    thresholds(t, path, add)
  }
  const seen = new Set<string>()
  for (const [i, label] of escalation.alwaysEscalate.entries()) {
    const path = `escalation.alwaysEscalate[${i}]`
    if (labels && !labels.has(label)) {
      add(path, `expected a label of ${edge!.name} (${labelList}); received ${JSON.stringify(label)}`)
    }
    if (seen.has(label)) add(path, `expected each label once; ${JSON.stringify(label)} is listed again`)
    seen.add(label)
  }
  if (!(escalation.auditRate >= 0 && escalation.auditRate <= 1)) {
    add('escalation.auditRate', `expected a fraction in [0, 1]; received ${escalation.auditRate}`)
  }
  if (body.cloudTokenCapPerHour !== null && body.cloudTokenCapPerHour < 0) {
    add(
      'cloudTokenCapPerHour',
      `expected cloud tokens per hour >= 0, or null for no cap; received ${body.cloudTokenCapPerHour}`,
    )
  }
  if (!(body.deadlineMs > 0)) add('deadlineMs', `expected a deadline > 0 ms; received ${body.deadlineMs}`)
  for (const tier of ['edge', 'cloud'] as const) {
    const price = body.costPer1kTokens[tier]
    if (!(price >= 0))
      add(`costPer1kTokens.${tier}`, `expected a price per 1,000 tokens >= 0; received ${price}`)
  }
  if (
    body.question !== null &&
    (body.question.trim().length === 0 || body.question.length > MAX_QUESTION_CHARS)
  ) {
    add(
      'question',
      `expected 1–${MAX_QUESTION_CHARS} characters, or null for vision only; received ${body.question.length} characters${body.question.trim() ? '' : ' of blank'}`,
    )
  }
  const margin = body.egress.regionMarginPatches
  if (!(Number.isInteger(margin) && margin >= 0 && margin <= MAX_REGION_MARGIN)) {
    add(
      'egress.regionMarginPatches',
      `expected a whole number of patches 0–${MAX_REGION_MARGIN}; received ${margin}`,
    )
  }

  if (problems.length === 0) {
    const contract = policyPayloadV2.safeParse({
      ...body,
      version: 1,
      author: 'validation',
      reason: 'validation',
      createdAt: new Date().toISOString(),
      rolledBackTo: null,
    })
    if (!contract.success) {
      for (const issue of contract.error.issues) add(issue.path.join('.') || '(policy)', issue.message)
    }
  }
  return problems
}

/**
 * Advice that does not make a policy invalid, cheap to compute: budgets where the model's
 * accuracy was never measured, budgets past the resolution of the images the model was trained
 * on (upsampled: more tokens, no more information), no audits (no unbiased estimate of edge accuracy), nothing ever
 * escalated, nothing allowed to leave the site.
 */
export function policyWarnings(body: PolicyBody, models: readonly ModelRow[]): string[] {
  const warnings: string[] = []
  const byName = new Map(models.map((m) => [m.name, m]))
  const measured = (model: ModelRow | undefined) => {
    const metrics = (model?.manifest as { metrics?: Record<string, unknown> } | undefined)?.metrics ?? {}
    const budgets = Object.keys(metrics).map(Number).filter(Number.isFinite)
    return budgets.length > 0 ? Math.max(...budgets) : undefined
  }
  const edge = byName.get(body.edge.model)
  const edgeMax = measured(edge)
  for (const [path, budget] of [
    ['edge.budget', body.edge.budget] as const,
    ...body.edge.ladder.map((b, i) => [`edge.ladder[${i}]`, b] as const),
  ]) {
    if (edge && (edgeMax === undefined || budget > edgeMax)) {
      warnings.push(
        `${path} ${budget}: ${edge.name} has no measured accuracy at this budget (${edgeMax === undefined ? 'none measured' : `largest measured ${edgeMax}`})`,
      )
    }
  }
  const cloud = byName.get(body.cloud.model)
  const cloudMax = measured(cloud)
  if (cloud && (cloudMax === undefined || body.cloud.budget > cloudMax)) {
    warnings.push(
      `cloud.budget ${body.cloud.budget}: ${cloud.name} has no measured accuracy at this budget (${cloudMax === undefined ? 'none measured' : `largest measured ${cloudMax}`})`,
    )
  }
  for (const [path, budget, model] of [
    ['edge.budget', body.edge.budget, edge] as const,
    ...body.edge.ladder.map((b, i) => [`edge.ladder[${i}]`, b, edge] as const),
    ['cloud.budget', body.cloud.budget, cloud] as const,
  ]) {
    const size = (model?.manifest as { nativeSize?: NativeSize } | undefined)?.nativeSize
    if (model && size && isUpsampled(budget, model.patchSize, size)) {
      const side = Math.round(Math.sqrt(budget)) * model.patchSize
      warnings.push(
        `${path} ${budget}: upsampled — ${model.name} was trained on ${size.width}×${size.height} px images and ${budget} tokens resize them to ${side} px, more tokens for no more information (native budget ${nativeBudget(model.budgets, model.patchSize, size)})`,
      )
    }
  }
  if (body.escalation.auditRate === 0) {
    warnings.push(
      'escalation.auditRate 0: confident edge decisions are never checked, so edge accuracy has no unbiased estimate',
    )
  }
  const t = body.escalation.thresholds
  const anyThreshold =
    t.minConfidence !== undefined ||
    t.minMargin !== undefined ||
    t.maxEntropy !== undefined ||
    Object.keys(body.escalation.perClass).length > 0
  if (!anyThreshold && body.escalation.alwaysEscalate.length === 0) {
    warnings.push('no escalation threshold and no always-escalate class: only audits ever reach the cloud')
  }
  if (body.cloudTokenCapPerHour === 0) {
    warnings.push(
      `cloudTokenCapPerHour 0: no case reaches the cloud; every escalation gets atCap (${body.atCap})`,
    )
  }
  if (body.egress.mode === 'none') {
    warnings.push('egress NONE: no image leaves the site; cases the cloud would decide are held for a person')
  }
  return warnings
}

function modelFor(
  role: ModelRole,
  name: string,
  models: readonly ModelRow[],
  add: (path: string, message: string) => void,
): ModelRow | undefined {
  const path = `${role}.model`
  const model = models.find((m) => m.name === name)
  const names = models.filter((m) => m.role === role).map((m) => m.name)
  if (!model) {
    add(
      path,
      `expected a registered ${role} model (${names.join(', ') || 'none registered'}); received ${JSON.stringify(name)}`,
    )
    return undefined
  }
  if (model.role !== role) {
    add(path, `expected a model with role ${role}; ${JSON.stringify(name)} has role ${model.role}`)
    return undefined
  }
  return model
}

function budgetIn(
  model: ModelRow,
  budget: number,
  path: string,
  add: (path: string, message: string) => void,
): void {
  if (!model.budgets.includes(budget)) {
    add(path, `expected a budget ${model.name} supports (${model.budgets.join(', ')}); received ${budget}`)
  }
}

function thresholds(
  t: PolicyBody['escalation']['thresholds'],
  path: string,
  add: (path: string, message: string) => void,
): void {
  for (const name of ['minConfidence', 'minMargin'] as const) {
    const value = t[name]
    if (value !== undefined && !(value >= 0 && value <= 1)) {
      add(`${path}.${name}`, `expected a probability in [0, 1]; received ${value}`)
    }
  }
  if (t.maxEntropy !== undefined && !(t.maxEntropy >= 0)) {
    add(`${path}.maxEntropy`, `expected an entropy >= 0 nats; received ${t.maxEntropy}`)
  }
}
