import type { LineResolvers, PlantResolvers, QueryResolvers } from './resolvers.generated.ts'

export const catalogQueries: Pick<QueryResolvers, 'plants' | 'plant' | 'lines' | 'line'> = {
  plants: (_parent, _args, ctx) => ctx.storage.plants.list(),
  plant: async (_parent, { id }, ctx) => (await ctx.storage.plants.get(id)) ?? null,
  lines: (_parent, { plantId }, ctx) => ctx.storage.lines.list(plantId ? { plantId } : {}),
  line: async (_parent, { id }, ctx) => (await ctx.storage.lines.get(id)) ?? null,
}

export const Plant: PlantResolvers = {
  lines: (plant, _args, ctx) => ctx.storage.lines.list({ plantId: plant.id }),
}

export const Line: LineResolvers = {
  plant: async (line, _args, ctx) => (await ctx.plants.load(line.plantId))!,
}
