/**
 * Kafka records → inspection writes. What each record knows:
 *   result v1   the edge's answer and disposition: accepted = final verdict by the edge;
 *               escalated = provisional (no verdict until the cloud answers); held = waits for a person
 *   verdict v2  the cloud's answer with its cost, deadline and reason: final verdict by the cloud
 *   verdict v1  the same without cost (priced here from the line's policy), deadline or reason
 * Tokens: the edge spends the sum of its ladder's budgets; the cloud its vision plus question tokens.
 * Costs: per-1k-token prices in the plant's currency units.
 */
import type { InspectionWrite } from '../../../../lib/db/index.ts'
import type { ResultV1, VerdictV1, VerdictV2 } from '../../../../lib/messaging/index.ts'

export function resultWrite(result: ResultV1, edgePricePer1k: number): InspectionWrite {
  const tokens = result.ladder.reduce((sum, n) => sum + n, 0)
  const decidedAt = new Date(result.decidedAt)
  return {
    id: result.inspectionId,
    lineId: result.lineId,
    plantId: result.plantId,
    receivedAt: new Date(result.capturedAt),
    question: result.question,
    policyVersion: result.policyVersion,
    escalated: result.disposition === 'escalated',
    disposition: result.disposition,
    ...(result.escalationReason === null ? {} : { escalationReason: result.escalationReason }),
    ladder: result.ladder,
    edgeConfidence: result.edge.probabilities[result.edge.label] ?? 0,
    edge: {
      label: result.edge.label,
      probabilities: result.edge.probabilities,
      budget: result.edge.budget,
      tokens,
      model: result.edge.model.name,
      // The edge tier's whole decision time (decode and every rung), not the last rung's inference.
      latencyMs: result.latencyMs,
      cost: (tokens / 1000) * edgePricePer1k,
    },
    ...(result.disposition === 'accepted'
      ? {
          final: {
            verdict: result.edge.label,
            decidedBy: 'edge' as const,
            decidedAt,
            latencyMs: result.latencyMs,
          },
        }
      : {}),
  }
}

export function verdictV2Write(verdict: VerdictV2): InspectionWrite {
  return {
    ...verdictBase(verdict),
    escalationReason: verdict.reason,
    cloudLate: verdict.late,
    cloud: {
      ...cloudResult(verdict),
      latencyMs: verdict.latency.totalMs,
      cost: verdict.cost.amount,
    },
  }
}

export function verdictV1Write(verdict: VerdictV1, cloudPricePer1k: number): InspectionWrite {
  const latencyMs = Math.max(0, Date.parse(verdict.decidedAt) - Date.parse(verdict.escalatedAt))
  return {
    ...verdictBase(verdict),
    cloud: {
      ...cloudResult(verdict),
      latencyMs,
      // As v2 prices it: vision tokens only.
      cost: (verdict.tokens.vision / 1000) * cloudPricePer1k,
    },
  }
}

function verdictBase(verdict: VerdictV1 | VerdictV2): InspectionWrite {
  return {
    id: verdict.inspectionId,
    lineId: verdict.lineId,
    plantId: verdict.plantId,
    // The result brings the capture time; until then the escalation time is the earliest known.
    receivedAt: new Date(verdict.escalatedAt),
    question: verdict.question,
    policyVersion: verdict.policyVersion,
    escalated: true,
    final: { verdict: verdict.cloud.label, decidedBy: 'cloud', decidedAt: new Date(verdict.decidedAt) },
  }
}

function cloudResult(verdict: VerdictV1 | VerdictV2) {
  return {
    label: verdict.cloud.label,
    probabilities: verdict.cloud.probabilities,
    budget: verdict.cloud.budget,
    tokens: verdict.tokens.vision + verdict.tokens.question,
    model: verdict.cloud.model.name,
    ...(verdict.answer === null ? {} : { answer: verdict.answer.probability }),
  }
}
