/** Every GraphQL document the dashboard sends; schema.graphql is the contract they follow. */

export const meQuery = /* GraphQL */ `
  query Me { me { name role allPlants plantIds } }
`

export const plantsQuery = /* GraphQL */ `
  query Plants { plants { id name lines { id name } } }
`

const inspectionCard = /* GraphQL */ `
  fragment InspectionCard on Inspection {
    id receivedAt decidedAt verdict decidedBy escalated disposition escalationReason ladder
    edgeConfidence cloudLate thumbnail latencyMs question
    edge { label budget model probabilities { label probability } }
    cloud { label budget model probabilities { label probability } }
    reviews { label reviewer createdAt }
  }
`

export const feedQuery = /* GraphQL */ `
  query Feed($lineId: ID!, $first: Int, $from: DateTime) {
    inspections(filter: { lineId: $lineId, from: $from }, first: $first) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...InspectionCard } }
    }
  }
  ${inspectionCard}
`

export const inspectionDecidedSubscription = /* GraphQL */ `
  subscription Decided($lineId: ID!) { inspectionDecided(lineId: $lineId) { ...InspectionCard } }
  ${inspectionCard}
`

export const reviewQueueQuery = /* GraphQL */ `
  query ReviewQueue($lineId: ID!, $first: Int, $after: String) {
    reviewQueue(lineId: $lineId, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...InspectionCard } }
    }
  }
  ${inspectionCard}
`

export const recordReviewMutation = /* GraphQL */ `
  mutation RecordReview($input: RecordReviewInput!) {
    recordReview(input: $input) { id label reviewer note createdAt }
  }
`

const percentiles = 'count p50 p95 p99'

export const lineStatsQuery = /* GraphQL */ `
  query LineStats($lineId: ID!, $from: DateTime, $to: DateTime) {
    lineStats(lineId: $lineId, from: $from, to: $to) {
      lineId from to inspections pending held escalated escalationRate audited
      byVerdict { verdict count }
      byDecidedBy { decidedBy count }
      escalatedAgreement { agree total rate }
      auditedAgreement { agree total rate }
      estimatedEdgeAccuracy { value low high samples }
      reviewedAccuracy { value low high samples }
      tokens { edge cloud edgeCost cloudCost cloudTokensPerHour costPerHour peakCapUsed }
      hourly { hour inspections escalated edgeTokens cloudTokens cost }
      cloudTokenCapPerHour
      latency { ${percentiles} }
      edgeLatency { ${percentiles} }
      cloudLatency { ${percentiles} }
    }
  }
`

/** The line's edge node as it reports itself (asked by the gateway, cached about 2 s), with the line's current policy version. */
export const lineEdgeHealthQuery = /* GraphQL */ `
  query LineEdgeHealth($lineId: ID!) {
    line(id: $lineId) {
      id
      policy { version }
      edgeHealth {
        url reachable error nodeId kafkaUp outboxRows outboxBytes outboxOldestAt
        queueWaiting queueActive problems policyVersion
      }
    }
  }
`

const powerLaw = 'c alpha r2 alphaLow alphaHigh'

/**
 * Models and every stored report side by side, not nested: nested under `models` the gateway's
 * cost estimate (lists × 10 per level) passes GATEWAY_MAX_COMPLEXITY (20,000) with a few models.
 */
export const modelsQuery = /* GraphQL */ `
  query Models {
    models { name role labels budgets }
    scalingReports {
      id model question createdAt
      dataset { path count description }
      points { budget accuracy tokensPerImage perClass { label recall } }
      fit {
        overall { ${powerLaw} }
        perClass { label ${powerLaw} }
        perClassRecall { label ${powerLaw} }
      }
    }
  }
`

/** Model names, labels and budgets only: what the policy editor and review queue offer. */
export const modelNamesQuery = /* GraphQL */ `
  query ModelNames { models { name role labels budgets } }
`

const policyFields = /* GraphQL */ `
  fragment PolicyFields on Policy {
    lineId version author reason createdAt rolledBackTo
    edge { model budget ladder }
    cloud { model budget }
    escalation {
      thresholds { minConfidence minMargin maxEntropy }
      perClass { label minConfidence minMargin maxEntropy }
      alwaysEscalate auditRate
    }
    cloudTokenCapPerHour atCap deadlineMs pastDeadline question
    costPer1kTokens { edge cloud }
    egress { mode regionMarginPatches }
    warnings
  }
`

export const policyQuery = /* GraphQL */ `
  query Policy($lineId: ID!) { policy(lineId: $lineId) { ...PolicyFields } }
  ${policyFields}
`

export const policyHistoryQuery = /* GraphQL */ `
  query PolicyHistory($lineId: ID!, $first: Int) { policyHistory(lineId: $lineId, first: $first) { ...PolicyFields } }
  ${policyFields}
`

export const updatePolicyMutation = /* GraphQL */ `
  mutation UpdatePolicy($lineId: ID!, $policy: PolicyInput!, $reason: String!) {
    updatePolicy(lineId: $lineId, policy: $policy, reason: $reason) { ...PolicyFields }
  }
  ${policyFields}
`

export const rollbackPolicyMutation = /* GraphQL */ `
  mutation RollbackPolicy($lineId: ID!, $toVersion: Int!, $reason: String!) {
    rollbackPolicy(lineId: $lineId, toVersion: $toVersion, reason: $reason) { ...PolicyFields }
  }
  ${policyFields}
`

export const policyChangedSubscription = /* GraphQL */ `
  subscription PolicyChanged($lineId: ID!) { policyChanged(lineId: $lineId) { lineId version } }
`

const replayResult = /* GraphQL */ `
  fragment ReplayFields on ReplayResult {
    policy { edgeModel edgeBudget ladder cloudModel cloudBudget minConfidence minMargin maxEntropy auditRate question }
    source images accuracy accuracyLow accuracyHigh
    perClassRecall { label value }
    escalationRate climbRate edgeTokensPer1k cloudTokensPer1k costPer1k latencyMsMean latencyMsP95 pareto
  }
`

export const replayPolicyQuery = /* GraphQL */ `
  query ReplayPolicy($lineId: ID!, $policy: PolicyInput!, $source: ReplaySource) {
    replayPolicy(lineId: $lineId, policy: $policy, source: $source) { ...ReplayFields }
  }
  ${replayResult}
`

export const policyFrontierQuery = /* GraphQL */ `
  query PolicyFrontier($lineId: ID!, $source: ReplaySource) {
    policyFrontier(lineId: $lineId, source: $source) {
      lineId source dataset images candidates
      frontier { ...ReplayFields }
      current { ...ReplayFields }
    }
  }
  ${replayResult}
`

export const recommendPolicyQuery = /* GraphQL */ `
  query RecommendPolicy($lineId: ID!, $targetAccuracy: Float, $maxCostPer1k: Float, $source: ReplaySource) {
    recommendPolicy(lineId: $lineId, targetAccuracy: $targetAccuracy, maxCostPer1k: $maxCostPer1k, source: $source) {
      recommended { ...ReplayFields }
      explanation
    }
  }
  ${replayResult}
`
