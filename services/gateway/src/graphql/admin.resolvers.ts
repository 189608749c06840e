import { requirePlant, requireRole } from '../auth/principal.ts'
import { GatewayError } from '../errors.ts'
import { visibleLine } from './policy.resolvers.ts'
import type { MutationResolvers } from './resolvers.generated.ts'

/** Plant and line ids: lowercase letters, digits, '-' and '_' (schema.graphql, CreatePlantInput). */
const entityId = /^[a-z0-9_-]{1,64}$/
const MAX_NAME_CHARS = 200

export const adminMutations: Pick<MutationResolvers, 'createPlant' | 'createLine' | 'submitInspection'> = {
  createPlant: async (_parent, { input }, ctx) => {
    requireRole(ctx.principal, 'admin', 'createPlant')
    if (!ctx.principal.allPlants) {
      throw new GatewayError(
        'GATEWAY_FORBIDDEN',
        `createPlant needs an admin key of all plants; this key (${ctx.principal.name}) sees ${[...ctx.principal.plantIds].join(', ')}`,
      )
    }
    const id = checkId(input.id, 'input.id')
    const row = await ctx.storage.plants.create({ id, name: checkName(input.name) })
    if (!row) throw new GatewayError('GATEWAY_ALREADY_EXISTS', `a plant with id ${JSON.stringify(id)} exists`)
    return row
  },
  createLine: async (_parent, { input }, ctx) => {
    requirePlant(ctx.principal, input.plantId, 'admin', 'createLine')
    if (!(await ctx.storage.plants.get(input.plantId))) {
      throw new GatewayError('GATEWAY_NOT_FOUND', `no plant ${JSON.stringify(input.plantId)}`)
    }
    const id = checkId(input.id, 'input.id')
    let edgeUrl: string | null = null
    if (input.edgeUrl != null && input.edgeUrl !== '') {
      if (!/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(input.edgeUrl)) {
        throw new GatewayError(
          'GATEWAY_ARGUMENT_INVALID',
          `expected edgeUrl to be an http:// or https:// base URL, e.g. http://10.0.0.5:7070; received ${JSON.stringify(input.edgeUrl)}`,
        )
      }
      edgeUrl = input.edgeUrl.replace(/\/+$/, '')
    }
    const row = await ctx.storage.lines.create({
      id,
      plantId: input.plantId,
      name: checkName(input.name),
      edgeUrl,
    })
    // Line ids are global (Kafka keys, edge config), so a taken id is reported whichever plant holds it.
    if (!row) throw new GatewayError('GATEWAY_ALREADY_EXISTS', `a line with id ${JSON.stringify(id)} exists`)
    return row
  },
  submitInspection: async (_parent, { input }, ctx) => {
    const line = await visibleLine(ctx, input.lineId)
    requireRole(ctx.principal, 'operator', 'submitInspection')
    const image = ctx.edge.decode(input.imageBase64)
    return ctx.edge.submit(line, image, input.question)
  },
}

function checkId(id: string, path: string): string {
  if (!entityId.test(id)) {
    throw new GatewayError(
      'GATEWAY_ARGUMENT_INVALID',
      `expected ${path} of 1–64 lowercase letters, digits, '-' or '_'; received ${JSON.stringify(id.slice(0, 80))}`,
    )
  }
  return id
}

function checkName(name: string): string {
  const trimmed = name.trim()
  if (trimmed.length === 0 || trimmed.length > MAX_NAME_CHARS) {
    throw new GatewayError(
      'GATEWAY_ARGUMENT_INVALID',
      `expected a name of 1–${MAX_NAME_CHARS} characters; received ${name.length}`,
    )
  }
  return trimmed
}
