import { canSeePlant, visiblePlants } from '../auth/principal.ts'
import { currentPolicy } from './policy.resolvers.ts'
import type { LineResolvers, PlantResolvers, QueryResolvers } from './resolvers.generated.ts'

// A plant the key may not see answers like one that does not exist: null, or absent from lists.
export const catalogQueries: Pick<QueryResolvers, 'plants' | 'plant' | 'lines' | 'line'> = {
  plants: async (_parent, _args, ctx) => {
    const plantIds = visiblePlants(ctx.principal)
    return await ctx.storage.plants.list(plantIds ? { plantIds } : {})
  },
  plant: async (_parent, { id }, ctx) => {
    if (!canSeePlant(ctx.principal, id)) return null
    return (await ctx.plants.load(id)) ?? null
  },
  lines: async (_parent, { plantId }, ctx) => {
    const plantIds = visiblePlants(ctx.principal)
    return await ctx.storage.lines.list({
      ...(plantId ? { plantId } : {}),
      ...(plantIds ? { plantIds } : {}),
    })
  },
  line: async (_parent, { id }, ctx) => {
    const line = await ctx.lines.load(id)
    return line && canSeePlant(ctx.principal, line.plantId) ? line : null
  },
}

export const Plant: PlantResolvers = {
  lines: (plant, _args, ctx) => ctx.linesByPlant.load(plant.id),
}

export const Line: LineResolvers = {
  plant: async (line, _args, ctx) => (await ctx.plants.load(line.plantId))!,
  edgeUrl: (line, _args, ctx) => ctx.edge.urlFor(line) ?? null,
  policy: (line, _args, ctx) => currentPolicy(line, ctx),
  edgeHealth: async (line, _args, ctx) => {
    const url = ctx.edge.urlFor(line)
    if (!url) return null
    const health = await ctx.edge.health(url)
    if (!health.reachable) {
      return { url, reachable: false, error: health.error, problems: [] }
    }
    const r = health.report
    const served = r.lines.find((l) => l.lineId === line.id && (l.plantId ?? line.plantId) === line.plantId)
    return {
      url,
      reachable: true,
      error: null,
      nodeId: r.nodeId,
      kafkaUp: r.kafka === 'up',
      outboxRows: r.outbox.rows,
      outboxBytes: r.outbox.bytes,
      outboxOldestAt: r.outbox.oldestCreatedAt,
      queueWaiting: r.queue.waiting,
      queueActive: r.queue.active,
      problems: r.problems,
      policyVersion: served?.policyVersion ?? null,
    }
  },
}
