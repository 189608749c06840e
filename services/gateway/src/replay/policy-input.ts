import { type PolicyV2, policyPayloadV2 } from '../../../../lib/messaging/index.ts'
import { GatewayError } from '../errors.ts'
import type { Fallback, PolicyInput } from '../graphql/resolvers.generated.ts'

const fallback = (f: Fallback): PolicyV2['atCap'] => (f === 'HOLD' ? 'hold' : 'edge-verdict')

/**
 * A proposed policy (GraphQL PolicyInput) as the `tokenline.policies.v2` document a replay runs,
 * checked by the same contract the edges read; the identity fields come from the line's current
 * version. GATEWAY_ARGUMENT_INVALID lists every field that fails.
 */
export function proposedPolicy(input: PolicyInput, current: PolicyV2): PolicyV2 {
  const thresholds = (t: {
    minConfidence?: number | null
    minMargin?: number | null
    maxEntropy?: number | null
  }) => ({
    ...(t.minConfidence == null ? {} : { minConfidence: t.minConfidence }),
    ...(t.minMargin == null ? {} : { minMargin: t.minMargin }),
    ...(t.maxEntropy == null ? {} : { maxEntropy: t.maxEntropy }),
  })
  const parsed = policyPayloadV2.safeParse({
    plantId: current.plantId,
    lineId: current.lineId,
    version: current.version,
    author: current.author,
    reason: current.reason,
    createdAt: current.createdAt,
    rolledBackTo: current.rolledBackTo,
    edge: { model: input.edge.model, budget: input.edge.budget, ladder: input.edge.ladder },
    cloud: { model: input.cloud.model, budget: input.cloud.budget },
    escalation: {
      thresholds: thresholds(input.escalation.thresholds),
      perClass: Object.fromEntries((input.escalation.perClass ?? []).map((c) => [c.label, thresholds(c)])),
      alwaysEscalate: input.escalation.alwaysEscalate ?? [],
      auditRate: input.escalation.auditRate,
    },
    cloudTokenCapPerHour: input.cloudTokenCapPerHour ?? null,
    atCap: fallback(input.atCap),
    deadlineMs: input.deadlineMs,
    pastDeadline: fallback(input.pastDeadline),
    question: input.question ?? null,
    costPer1kTokens: { edge: input.costPer1kTokens.edge, cloud: input.costPer1kTokens.cloud },
    egress: {
      mode: input.egress.mode.toLowerCase(),
      regionMarginPatches: input.egress.regionMarginPatches ?? 1,
    },
  })
  if (!parsed.success)
    throw new GatewayError(
      'GATEWAY_ARGUMENT_INVALID',
      `policy: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    )
  return parsed.data
}
