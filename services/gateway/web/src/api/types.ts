/**
 * The slices of schema.graphql's types the dashboard asks for (field names as in the schema).
 * DateTime values arrive as ISO-8601 strings.
 */

export type Role = 'VIEWER' | 'OPERATOR' | 'ADMIN'
export type DecidedBy = 'EDGE' | 'CLOUD' | 'HUMAN'
export type Disposition = 'ACCEPTED' | 'ESCALATED' | 'HELD'
export type Fallback = 'EDGE_VERDICT' | 'HOLD'
export type EgressMode = 'WHOLE' | 'REGION' | 'NONE'
export type ReplaySource = 'CALIBRATION' | 'LOGGED'

export type Me = { name: string; role: Role; allPlants: boolean; plantIds: string[] }

export type PlantWithLines = { id: string; name: string; lines: { id: string; name: string }[] }

export type ClassProbability = { label: string; probability: number }

export type InspectionCard = {
  id: string
  receivedAt: string
  decidedAt: string | null
  verdict: string | null
  decidedBy: DecidedBy | null
  escalated: boolean
  disposition: Disposition | null
  escalationReason: string | null
  ladder: number[] | null
  edgeConfidence: number | null
  cloudLate: boolean | null
  thumbnail: string | null
  latencyMs: number | null
  question: string | null
  edge: {
    label: string
    budget: number | null
    model: string | null
    probabilities: ClassProbability[]
  } | null
  cloud: {
    label: string
    budget: number | null
    model: string | null
    probabilities: ClassProbability[]
  } | null
  reviews: { label: string; reviewer: string; createdAt: string }[]
}

export type Connection<T> = {
  totalCount: number
  pageInfo: { hasNextPage: boolean; endCursor: string | null }
  edges: { cursor: string; node: T }[]
}

export type Estimate = { value: number; low: number; high: number; samples: number }
export type Agreement = { agree: number; total: number; rate: number | null }
export type Percentiles = { count: number; p50: number | null; p95: number | null; p99: number | null }

/** `Line.edgeHealth`: what the line's edge node reports about itself, or why it could not be asked. */
export type EdgeHealth = {
  url: string
  reachable: boolean
  error: string | null
  nodeId: string | null
  kafkaUp: boolean | null
  outboxRows: number | null
  outboxBytes: number | null
  outboxOldestAt: string | null
  queueWaiting: number | null
  queueActive: number | null
  problems: string[]
  policyVersion: number | null
}

export type LineEdgeHealth = {
  id: string
  policy: { version: number } | null
  edgeHealth: EdgeHealth | null
}

export type LineStats = {
  lineId: string
  from: string
  to: string
  inspections: number
  byVerdict: { verdict: string; count: number }[]
  byDecidedBy: { decidedBy: DecidedBy; count: number }[]
  pending: number
  held: number
  escalated: number
  escalationRate: number | null
  audited: number
  escalatedAgreement: Agreement
  auditedAgreement: Agreement
  estimatedEdgeAccuracy: Estimate | null
  reviewedAccuracy: Estimate | null
  tokens: {
    edge: number
    cloud: number
    edgeCost: number
    cloudCost: number
    cloudTokensPerHour: number
    costPerHour: number
    peakCapUsed: number | null
  }
  hourly: {
    hour: string
    inspections: number
    escalated: number
    edgeTokens: number
    cloudTokens: number
    cost: number
  }[]
  cloudTokenCapPerHour: number | null
  latency: Percentiles
  edgeLatency: Percentiles
  cloudLatency: Percentiles
}

export type PowerLawFit = {
  c: number
  alpha: number
  r2: number | null
  alphaLow: number | null
  alphaHigh: number | null
}
export type ClassPowerLawFit = PowerLawFit & { label: string }

export type ScalingReport = {
  id: string
  model: string
  question: string | null
  createdAt: string
  dataset: { path: string; count: number; description: string | null }
  points: {
    budget: number
    accuracy: number
    tokensPerImage: number
    perClass: { label: string; recall: number }[]
  }[]
  fit: { overall: PowerLawFit; perClass: ClassPowerLawFit[]; perClassRecall: ClassPowerLawFit[] }
}

export type Model = {
  name: string
  role: 'EDGE' | 'CLOUD'
  labels: string[]
  budgets: number[]
  scalingReports: ScalingReport[]
}

export type Thresholds = { minConfidence: number | null; minMargin: number | null; maxEntropy: number | null }

export type Policy = {
  lineId: string
  version: number
  author: string
  reason: string
  createdAt: string
  rolledBackTo: number | null
  edge: { model: string; budget: number; ladder: number[] }
  cloud: { model: string; budget: number }
  escalation: {
    thresholds: Thresholds
    perClass: (Thresholds & { label: string })[]
    alwaysEscalate: string[]
    auditRate: number
  }
  cloudTokenCapPerHour: number | null
  atCap: Fallback
  deadlineMs: number
  pastDeadline: Fallback
  question: string | null
  costPer1kTokens: { edge: number; cloud: number }
  egress: { mode: EgressMode; regionMarginPatches: number }
  warnings: string[]
}

/** schema.graphql's PolicyInput. */
export type PolicyInput = Omit<
  Policy,
  'lineId' | 'version' | 'author' | 'reason' | 'createdAt' | 'rolledBackTo' | 'warnings'
>

export type ReplayResult = {
  policy: {
    edgeModel: string
    edgeBudget: number
    ladder: number[]
    cloudModel: string
    cloudBudget: number
    minConfidence: number | null
    minMargin: number | null
    maxEntropy: number | null
    auditRate: number
    question: boolean
  }
  source: ReplaySource
  images: number
  accuracy: number
  accuracyLow: number | null
  accuracyHigh: number | null
  perClassRecall: { label: string; value: number }[]
  escalationRate: number
  climbRate: number
  edgeTokensPer1k: number
  cloudTokensPer1k: number
  costPer1k: number
  latencyMsMean: number
  latencyMsP95: number
  pareto: boolean
}

export type PolicyFrontier = {
  lineId: string
  source: ReplaySource
  dataset: string
  images: number
  candidates: number
  frontier: ReplayResult[]
  current: ReplayResult | null
}

export type Recommendation = {
  recommended: ReplayResult | null
  explanation: string
  current: ReplayResult | null
  frontier: ReplayResult[]
}
