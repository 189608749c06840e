import type { PolicyV2 } from '../../../../lib/messaging/index.ts'

/** A price per 1,000 vision tokens and where it came from (see verdict v2 `cost.priceSource`). */
export type Price = { per1kTokens: number; source: 'policy' | 'latest-policy' | 'default' }

/**
 * Cloud prices per line and policy version, from the compacted `tokenline.policies.v2` topic
 * (the escalation v1 header carries the policy version but not its price). A case is priced at
 * the version that escalated it when seen, else at the line's latest version, else at the
 * configured default (CLOUD_DEFAULT_COST_PER_1K_TOKENS).
 */
export class PriceBook {
  private readonly lines = new Map<string, { latest: number; byVersion: Map<number, number> }>()

  constructor(private readonly defaultPer1kTokens: number) {}

  apply(policy: Pick<PolicyV2, 'lineId' | 'version' | 'costPer1kTokens'>): void {
    let line = this.lines.get(policy.lineId)
    if (!line) {
      line = { latest: policy.version, byVersion: new Map() }
      this.lines.set(policy.lineId, line)
    }
    line.byVersion.set(policy.version, policy.costPer1kTokens.cloud)
    line.latest = Math.max(line.latest, policy.version)
  }

  priceFor(lineId: string, policyVersion: number): Price {
    const line = this.lines.get(lineId)
    if (!line) return { per1kTokens: this.defaultPer1kTokens, source: 'default' }
    const exact = line.byVersion.get(policyVersion)
    if (exact !== undefined) return { per1kTokens: exact, source: 'policy' }
    return { per1kTokens: line.byVersion.get(line.latest)!, source: 'latest-policy' }
  }
}
