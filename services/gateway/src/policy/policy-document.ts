import type { PolicyRow } from '../../../../lib/db/index.ts'
import type { PolicyV2 } from '../../../../lib/messaging/index.ts'
import type { Fallback, Policy, PolicyInput, ThresholdsInput } from '../graphql/resolvers.generated.ts'
import { policyMessage } from './demo-seed.ts'

/** What `policies.body` holds: the v2 message without the version's metadata. */
export type PolicyBody = Omit<PolicyV2, 'version' | 'author' | 'reason' | 'createdAt' | 'rolledBackTo'>

/** A problem with one field, by its path in the policy input (e.g. `edge.ladder[1]`). */
export type FieldProblem = { path: string; message: string }

const fallbackIn = { EDGE_VERDICT: 'edge-verdict', HOLD: 'hold' } as const satisfies Record<
  Fallback,
  PolicyV2['atCap']
>
const fallbackOut = { 'edge-verdict': 'EDGE_VERDICT', hold: 'HOLD' } as const satisfies Record<
  PolicyV2['atCap'],
  Fallback
>

/**
 * GraphQL `PolicyInput` → the stored body, as given (validation is `validatePolicy`'s job). The
 * only problems found here are the ones the body cannot express: a label twice in `perClass`.
 */
export function policyBodyFromInput(
  input: PolicyInput,
  line: { id: string; plantId: string },
): { body: PolicyBody; problems: FieldProblem[] } {
  const problems: FieldProblem[] = []
  const perClass: PolicyBody['escalation']['perClass'] = {}
  for (const [i, entry] of (input.escalation.perClass ?? []).entries()) {
    if (entry.label in perClass) {
      problems.push({
        path: `escalation.perClass[${i}].label`,
        message: `expected each label once in perClass; ${JSON.stringify(entry.label)} is listed again`,
      })
    }
    perClass[entry.label] = thresholdsIn(entry)
  }
  const body: PolicyBody = {
    plantId: line.plantId,
    lineId: line.id,
    edge: { model: input.edge.model, budget: input.edge.budget, ladder: [...input.edge.ladder] },
    cloud: { model: input.cloud.model, budget: input.cloud.budget },
    escalation: {
      thresholds: thresholdsIn(input.escalation.thresholds),
      perClass,
      alwaysEscalate: [...(input.escalation.alwaysEscalate ?? [])],
      auditRate: input.escalation.auditRate,
    },
    cloudTokenCapPerHour: input.cloudTokenCapPerHour ?? null,
    atCap: fallbackIn[input.atCap],
    deadlineMs: input.deadlineMs,
    pastDeadline: fallbackIn[input.pastDeadline],
    question: input.question ?? null,
    costPer1kTokens: { edge: input.costPer1kTokens.edge, cloud: input.costPer1kTokens.cloud },
    egress: {
      mode: input.egress.mode === 'WHOLE' ? 'whole' : input.egress.mode === 'REGION' ? 'region' : 'none',
      regionMarginPatches: input.egress.regionMarginPatches ?? 1,
    },
  }
  return { body, problems }
}

/** A stored version as the GraphQL `Policy`; throws when the stored body fails the v2 contract. */
export function policyView(row: PolicyRow, plantId: string, warnings: string[]): Policy {
  const p = policyMessage({ ...row, body: { ...row.body, plantId } })
  return {
    lineId: row.lineId,
    plantId,
    version: p.version,
    author: p.author,
    reason: p.reason,
    createdAt: row.createdAt,
    rolledBackTo: p.rolledBackTo,
    edge: { model: p.edge.model, budget: p.edge.budget, ladder: p.edge.ladder },
    cloud: { model: p.cloud.model, budget: p.cloud.budget },
    escalation: {
      thresholds: thresholdsOut(p.escalation.thresholds),
      perClass: Object.entries(p.escalation.perClass)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([label, t]) => ({ label, ...thresholdsOut(t) })),
      alwaysEscalate: p.escalation.alwaysEscalate,
      auditRate: p.escalation.auditRate,
    },
    cloudTokenCapPerHour: p.cloudTokenCapPerHour,
    atCap: fallbackOut[p.atCap],
    deadlineMs: p.deadlineMs,
    pastDeadline: fallbackOut[p.pastDeadline],
    question: p.question,
    costPer1kTokens: p.costPer1kTokens,
    egress: {
      mode: p.egress.mode === 'whole' ? 'WHOLE' : p.egress.mode === 'region' ? 'REGION' : 'NONE',
      regionMarginPatches: p.egress.regionMarginPatches,
    },
    warnings,
  }
}

/** GraphQL passes an explicit null for a threshold left out; the contract wants it absent. */
function thresholdsIn(t: ThresholdsInput): PolicyBody['escalation']['thresholds'] {
  const out: PolicyBody['escalation']['thresholds'] = {}
  if (t.minConfidence != null) out.minConfidence = t.minConfidence
  if (t.minMargin != null) out.minMargin = t.minMargin
  if (t.maxEntropy != null) out.maxEntropy = t.maxEntropy
  return out
}

function thresholdsOut(t: PolicyBody['escalation']['thresholds']) {
  return {
    minConfidence: t.minConfidence ?? null,
    minMargin: t.minMargin ?? null,
    maxEntropy: t.maxEntropy ?? null,
  }
}
