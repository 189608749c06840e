import {
  inspectionCursor,
  MAX_COUNT,
  type DecidedBy as StoredDecidedBy,
  type InspectionFilter as StoredFilter,
} from '../../../../lib/db/index.ts'
import { canSeePlant, visiblePlants } from '../auth/principal.ts'
import { GatewayError } from '../errors.ts'
import { checkFirst } from './internal/page-size.ts'
import type {
  ClassProbability,
  DecidedBy,
  InspectionConnectionResolvers,
  InspectionFilter,
  InspectionResolvers,
  QueryResolvers,
} from './resolvers.generated.ts'

const toStored = { EDGE: 'edge', CLOUD: 'cloud', HUMAN: 'human' } as const satisfies Record<
  DecidedBy,
  StoredDecidedBy
>
const fromStored = { edge: 'EDGE', cloud: 'CLOUD', human: 'HUMAN' } as const satisfies Record<
  StoredDecidedBy,
  DecidedBy
>

export const inspectionQueries: Pick<QueryResolvers, 'inspections' | 'inspection'> = {
  inspections: async (_parent, { filter, first, after }, ctx) => {
    checkFirst(first, ctx.maxPageSize)
    const plantIds = visiblePlants(ctx.principal)
    const storedFilter = { ...toStoredFilter(filter ?? {}), ...(plantIds ? { plantIds } : {}) }
    const page = await ctx.storage.inspections.list(storedFilter, { first, after: after ?? null })
    return { filter: storedFilter, page }
  },
  inspection: async (_parent, { id }, ctx) => {
    const row = await ctx.storage.inspections.get(id)
    return row && canSeePlant(ctx.principal, row.plantId) ? row : null
  },
}

export const InspectionConnection: InspectionConnectionResolvers = {
  edges: ({ page }) => page.rows.map((node) => ({ node, cursor: inspectionCursor(node) })),
  pageInfo: ({ page }) => ({
    hasNextPage: page.hasNextPage,
    hasPreviousPage: false,
    startCursor: page.startCursor,
    endCursor: page.endCursor,
  }),
  totalCount: async ({ filter, count }, { atMost }, ctx) => {
    if (atMost < 1 || atMost > MAX_COUNT) {
      throw new GatewayError(
        'GATEWAY_ARGUMENT_INVALID',
        `expected an integer 1–${MAX_COUNT} for totalCount(atMost); received ${atMost}`,
      )
    }
    // The review queue counts itself (not a plain filter); it is short by nature.
    return count ? Math.min(await count(), atMost) : ctx.storage.inspections.count(filter, atMost)
  },
}

export const Inspection: InspectionResolvers = {
  line: async (row, _args, ctx) => (await ctx.lines.load(row.lineId))!,
  plant: async (row, _args, ctx) => (await ctx.plants.load(row.plantId))!,
  decidedBy: (row) => (row.decidedBy ? fromStored[row.decidedBy] : null),
  edge: (row) =>
    row.edgeLabel === null
      ? null
      : {
          label: row.edgeLabel,
          probabilities: sortedProbabilities(row.edgeProbabilities),
          budget: row.edgeBudget,
          tokens: row.edgeTokens,
          model: row.edgeModel,
          latencyMs: row.edgeLatencyMs,
        },
  cloud: (row) =>
    row.cloudLabel === null
      ? null
      : {
          label: row.cloudLabel,
          probabilities: sortedProbabilities(row.cloudProbabilities),
          budget: row.cloudBudget,
          tokens: row.cloudTokens,
          model: row.cloudModel,
          latencyMs: row.cloudLatencyMs,
          answerProbability: row.cloudAnswer,
        },
  tokens: (row) => {
    const edge = row.edgeTokens ?? 0
    const cloud = row.cloudTokens ?? 0
    return { edge, cloud, total: edge + cloud }
  },
  cost: (row) => {
    const edge = row.edgeCost ?? 0
    const cloud = row.cloudCost ?? 0
    return { edge, cloud, total: edge + cloud }
  },
  reviews: (row, _args, ctx) => ctx.reviews.load(row.id),
}

function toStoredFilter(filter: InspectionFilter): StoredFilter {
  const stored: StoredFilter = {}
  if (filter.lineId != null) stored.lineId = filter.lineId
  if (filter.plantId != null) stored.plantId = filter.plantId
  if (filter.verdict != null) stored.verdict = filter.verdict
  if (filter.decidedBy != null) stored.decidedBy = toStored[filter.decidedBy]
  if (filter.escalated != null) stored.escalated = filter.escalated
  if (filter.from != null) stored.from = filter.from
  if (filter.to != null) stored.to = filter.to
  return stored
}

function sortedProbabilities(probabilities: Record<string, number> | null): ClassProbability[] {
  return Object.entries(probabilities ?? {})
    .map(([label, probability]) => ({ label, probability }))
    .sort((a, b) => b.probability - a.probability || a.label.localeCompare(b.label))
}
