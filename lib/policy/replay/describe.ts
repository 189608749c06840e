import type { PolicyV2 } from '../../messaging/contracts/policy.v2.ts'

/** A policy's replayed knobs in one line, e.g. `edge 16 → 64, minConfidence 0.9, cloud 256, audit 0.02`. */
export function describePolicy(p: PolicyV2): string {
  const t = p.escalation.thresholds
  const rules = [
    t.minConfidence === undefined ? 'no minConfidence' : `minConfidence ${t.minConfidence}`,
    ...(t.minMargin === undefined ? [] : [`minMargin ${t.minMargin}`]),
    ...(t.maxEntropy === undefined ? [] : [`maxEntropy ${t.maxEntropy}`]),
  ]
  return `edge ${[p.edge.budget, ...p.edge.ladder].join(' → ')}, ${rules.join(', ')}, cloud ${p.cloud.budget}, audit ${p.escalation.auditRate}`
}
