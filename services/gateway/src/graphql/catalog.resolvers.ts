import { canSeePlant } from '../auth/principal.ts'
import { currentPolicy } from './policy.resolvers.ts'
import type { LineResolvers, PlantResolvers, QueryResolvers } from './resolvers.generated.ts'

/** Plants and lines of the key's plants only; another plant's answers like a missing one. */
export const catalogQueries: Pick<QueryResolvers, 'plants' | 'plant' | 'lines' | 'line'> = {
  plants: async (_parent, _args, ctx) =>
    (await ctx.storage.plants.list()).filter((p) => canSeePlant(ctx.principal, p.id)),
  plant: async (_parent, { id }, ctx) =>
    canSeePlant(ctx.principal, id) ? ((await ctx.storage.plants.get(id)) ?? null) : null,
  lines: async (_parent, { plantId }, ctx) => {
    if (plantId && !canSeePlant(ctx.principal, plantId)) return []
    const rows = await ctx.storage.lines.list(plantId ? { plantId } : {})
    return rows.filter((l) => canSeePlant(ctx.principal, l.plantId))
  },
  line: async (_parent, { id }, ctx) => {
    const row = await ctx.storage.lines.get(id)
    return row && canSeePlant(ctx.principal, row.plantId) ? row : null
  },
}

export const Plant: PlantResolvers = {
  lines: (plant, _args, ctx) => ctx.storage.lines.list({ plantId: plant.id }),
}

export const Line: LineResolvers = {
  plant: async (line, _args, ctx) => (await ctx.plants.load(line.plantId))!,
  edgeUrl: (line, _args, ctx) => ctx.edge.urlFor(line) ?? null,
  policy: (line, _args, ctx) => currentPolicy(line, ctx),
}
