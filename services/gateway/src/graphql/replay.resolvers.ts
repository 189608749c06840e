import type { LineRow } from '../../../../lib/db/index.ts'
import { canSeePlant } from '../auth/principal.ts'
import { GatewayError } from '../errors.ts'
import type { GatewayContext } from './context.ts'
import type { QueryResolvers } from './resolvers.generated.ts'

/** The line, when the key may see its plant; another plant's line answers like a missing one. */
async function visibleLine(ctx: GatewayContext, lineId: string): Promise<LineRow> {
  const line = await ctx.lines.load(lineId)
  if (!line || !canSeePlant(ctx.principal, line.plantId))
    throw new GatewayError('GATEWAY_NOT_FOUND', `no line ${JSON.stringify(lineId)}`)
  return line
}

/** Policy frontier, recommendation and replay (any role: they read, they change nothing). */
export const replayQueries: Pick<QueryResolvers, 'policyFrontier' | 'recommendPolicy' | 'replayPolicy'> = {
  policyFrontier: async (_parent, { lineId, source }, ctx) =>
    ctx.replay.frontier(ctx.storage, await visibleLine(ctx, lineId), source),
  recommendPolicy: async (_parent, { lineId, source, targetAccuracy, maxCostPer1k }, ctx) =>
    ctx.replay.recommend(ctx.storage, await visibleLine(ctx, lineId), source, {
      targetAccuracy,
      maxCostPer1k,
    }),
  replayPolicy: async (_parent, { lineId, policy, source }, ctx) =>
    ctx.replay.replay(ctx.storage, await visibleLine(ctx, lineId), policy, source),
}
