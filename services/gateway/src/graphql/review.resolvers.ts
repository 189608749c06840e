import { randomUUID } from 'node:crypto'
import type { InspectionRow, Storage } from '../../../../lib/db/index.ts'
import { canSeePlant, requirePlant, visiblePlants } from '../auth/principal.ts'
import { GatewayError } from '../errors.ts'
import { checkFirst } from './internal/page-size.ts'
import type { MutationResolvers, QueryResolvers } from './resolvers.generated.ts'

/** A retried recordReview (same inspection, label and reviewer) within this window records nothing new (ms). */
export const REVIEW_RETRY_WINDOW_MS = 60_000
const MAX_LABEL_CHARS = 64
const MAX_NOTE_CHARS = 2000

export const reviewQueries: Pick<QueryResolvers, 'reviewQueue'> = {
  reviewQueue: async (_parent, { lineId, plantId, first, after }, ctx) => {
    checkFirst(first, ctx.maxPageSize)
    // Another plant's line or plant filters everything out, exactly like one that does not exist.
    const plantIds = visiblePlants(ctx.principal)
    const filter = {
      ...(lineId != null ? { lineId } : {}),
      ...(plantId != null ? { plantId } : {}),
      ...(plantIds !== undefined ? { plantIds } : {}),
    }
    const page = await ctx.storage.reviews.queue(filter, { first, after: after ?? null })
    return { filter: {}, page, count: () => ctx.storage.reviews.queueCount(filter) }
  },
}

export const reviewMutations: Pick<MutationResolvers, 'recordReview'> = {
  recordReview: async (_parent, { input }, ctx) => {
    const inspection = await ctx.storage.inspections.get(input.inspectionId)
    const what = `inspection ${JSON.stringify(input.inspectionId)}`
    if (!inspection || !canSeePlant(ctx.principal, inspection.plantId)) {
      throw new GatewayError('GATEWAY_NOT_FOUND', `no ${what}`)
    }
    requirePlant(ctx.principal, inspection.plantId, 'operator', 'recordReview', what)
    const label = input.label.trim()
    if (label.length === 0 || label.length > MAX_LABEL_CHARS) {
      throw new GatewayError(
        'GATEWAY_ARGUMENT_INVALID',
        `expected label to be 1–${MAX_LABEL_CHARS} characters; received ${JSON.stringify(input.label)}`,
      )
    }
    const known = await knownLabels(ctx.storage, inspection)
    if (known.size > 0 && !known.has(label)) {
      throw new GatewayError(
        'GATEWAY_ARGUMENT_INVALID',
        `expected label to be one of the line's model labels (${[...known].sort().join(', ')}); received ${JSON.stringify(label)}`,
      )
    }
    const note = input.note?.trim() || null
    if (note !== null && note.length > MAX_NOTE_CHARS) {
      throw new GatewayError(
        'GATEWAY_ARGUMENT_INVALID',
        `expected note to be at most ${MAX_NOTE_CHARS} characters; received ${note.length}`,
      )
    }
    const { review, created } = await ctx.storage.reviews.recordOnce(
      {
        id: randomUUID(),
        inspectionId: inspection.id,
        label,
        reviewer: ctx.principal.name,
        note,
        createdAt: new Date(),
      },
      REVIEW_RETRY_WINDOW_MS,
    )
    if (created) {
      const decided = await ctx.storage.inspections.get(inspection.id)
      if (decided) ctx.events.emit('inspectionDecided', decided)
    }
    return review
  },
}

/**
 * Labels a person may give: those of the models that answered this inspection and of the
 * models in the line's current policy. Empty when none of them is registered (then any label).
 */
async function knownLabels(storage: Storage, inspection: InspectionRow): Promise<Set<string>> {
  const policy = await storage.policies.current(inspection.lineId)
  const body = policy?.body as { edge?: { model?: unknown }; cloud?: { model?: unknown } } | undefined
  const names = new Set(
    [inspection.edgeModel, inspection.cloudModel, body?.edge?.model, body?.cloud?.model].filter(
      (n): n is string => typeof n === 'string' && n.length > 0,
    ),
  )
  const models = await Promise.all([...names].map((name) => storage.models.get(name)))
  return new Set(models.flatMap((m) => m?.labels ?? []))
}
