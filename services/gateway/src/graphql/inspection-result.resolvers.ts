import type { InspectionImageRow, Disposition as StoredDisposition } from '../../../../lib/db/index.ts'
import type { GatewayContext } from './context.ts'
import { BatchLoader } from './internal/batch-loader.ts'
import type { Disposition, InspectionResolvers } from './resolvers.generated.ts'

const dispositionEnum = {
  accepted: 'ACCEPTED',
  escalated: 'ESCALATED',
  held: 'HELD',
} as const satisfies Record<StoredDisposition, Disposition>

/** One thumbnail loader per request context: a page of inspections costs one image query. */
const thumbnailLoaders = new WeakMap<GatewayContext, BatchLoader<string, InspectionImageRow | undefined>>()

function thumbnails(ctx: GatewayContext): BatchLoader<string, InspectionImageRow | undefined> {
  let loader = thumbnailLoaders.get(ctx)
  if (!loader) {
    loader = new BatchLoader(
      (ids) => ctx.storage.inspectionImages.getMany(ids),
      () => undefined,
    )
    thumbnailLoaders.set(ctx, loader)
  }
  return loader
}

/** The edge's disposition and what came with it, and the cloud's thumbnail (spread into `Inspection`). */
export const inspectionResultFields: Pick<
  InspectionResolvers,
  'disposition' | 'escalationReason' | 'ladder' | 'edgeConfidence' | 'cloudLate' | 'thumbnail'
> = {
  disposition: (row) => (row.disposition ? dispositionEnum[row.disposition] : null),
  escalationReason: (row) => row.escalationReason,
  ladder: (row) => row.ladder,
  edgeConfidence: (row) => row.edgeConfidence,
  cloudLate: (row) => row.cloudLate,
  thumbnail: async (row, _args, ctx) => {
    // Only escalations carry an image; skip the query for the rest.
    if (!row.escalated) return null
    const image = await thumbnails(ctx).load(row.id)
    return image ? `data:${image.mime};base64,${image.bytes.toString('base64')}` : null
  },
}
