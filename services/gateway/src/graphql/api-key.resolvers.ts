import { randomUUID } from 'node:crypto'
import type { ApiKeyRole, ApiKeyRow } from '../../../../lib/db/index.ts'
import { hashSecret, newSecret, secretPrefix } from '../auth/api-key.secret.ts'
import { canSeePlant, type Principal, requireRole } from '../auth/principal.ts'
import { GatewayError } from '../errors.ts'
import type { ApiKey, MutationResolvers, QueryResolvers, Role } from './resolvers.generated.ts'

const roleIn = { VIEWER: 'viewer', OPERATOR: 'operator', ADMIN: 'admin' } as const satisfies Record<
  Role,
  ApiKeyRole
>
const roleOut = { viewer: 'VIEWER', operator: 'OPERATOR', admin: 'ADMIN' } as const satisfies Record<
  ApiKeyRole,
  Role
>

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const MAX_NAME_CHARS = 100

export const apiKeyQueries: Pick<QueryResolvers, 'me' | 'apiKeys'> = {
  me: async (_parent, _args, ctx) => {
    const row = await ctx.storage.apiKeys.get(ctx.principal.keyId)
    if (!row)
      throw new GatewayError('GATEWAY_UNAUTHENTICATED', 'the API key of this request no longer exists')
    return apiKeyView(row)
  },
  apiKeys: async (_parent, _args, ctx) => {
    requireRole(ctx.principal, 'admin', 'apiKeys')
    return (await ctx.storage.apiKeys.list()).filter((k) => keyVisible(ctx.principal, k)).map(apiKeyView)
  },
}

export const apiKeyMutations: Pick<MutationResolvers, 'createApiKey' | 'revokeApiKey'> = {
  createApiKey: async (_parent, { input }, ctx) => {
    requireRole(ctx.principal, 'admin', 'createApiKey')
    const name = input.name.trim()
    if (name.length === 0 || name.length > MAX_NAME_CHARS) {
      throw new GatewayError(
        'GATEWAY_ARGUMENT_INVALID',
        `expected a key name of 1–${MAX_NAME_CHARS} characters; received ${input.name.length}`,
      )
    }
    const allPlants = input.allPlants === true
    const plantIds = [...new Set(input.plantIds ?? [])].sort()
    if (allPlants) {
      if (!ctx.principal.allPlants) {
        throw new GatewayError(
          'GATEWAY_FORBIDDEN',
          `only an admin of all plants creates an all-plants key; this key (${ctx.principal.name}) sees ${[...ctx.principal.plantIds].join(', ')}`,
        )
      }
      if (plantIds.length > 0) {
        throw new GatewayError(
          'GATEWAY_ARGUMENT_INVALID',
          'expected either allPlants or plantIds; received both',
        )
      }
    } else {
      if (plantIds.length === 0) {
        throw new GatewayError(
          'GATEWAY_ARGUMENT_INVALID',
          'expected plantIds (at least one) or allPlants: true',
        )
      }
      const found = new Set((await ctx.storage.plants.getMany(plantIds)).map((p) => p.id))
      for (const id of plantIds) {
        if (!canSeePlant(ctx.principal, id) || !found.has(id)) {
          throw new GatewayError('GATEWAY_NOT_FOUND', `no plant ${JSON.stringify(id)}`)
        }
      }
    }
    const secret = newSecret()
    const row = await ctx.storage.apiKeys.create({
      id: randomUUID(),
      name,
      role: roleIn[input.role],
      allPlants,
      plantIds: allPlants ? [] : plantIds,
      prefix: secretPrefix(secret),
      secretHash: hashSecret(secret),
      createdBy: ctx.principal.name,
    })
    return { key: apiKeyView(row), secret }
  },
  revokeApiKey: async (_parent, { id }, ctx) => {
    requireRole(ctx.principal, 'admin', 'revokeApiKey')
    const existing = uuid.test(id) ? await ctx.storage.apiKeys.get(id) : undefined
    if (!existing || !keyVisible(ctx.principal, existing)) {
      throw new GatewayError('GATEWAY_NOT_FOUND', `no API key ${JSON.stringify(id)}`)
    }
    const row = (await ctx.storage.apiKeys.revoke(id))!
    ctx.events.emit('apiKeyRevoked', id)
    return apiKeyView(row)
  },
}

/**
 * Keys an admin may list and revoke: all of them for an all-plants admin; otherwise keys scoped
 * to plants that are all the admin's (a key that also sees another plant is not theirs to see).
 */
function keyVisible(principal: Principal, key: ApiKeyRow): boolean {
  if (principal.allPlants) return true
  return !key.allPlants && key.plantIds.length > 0 && key.plantIds.every((p) => principal.plantIds.has(p))
}

export function apiKeyView(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    role: roleOut[row.role],
    allPlants: row.allPlants,
    plantIds: row.allPlants ? [] : row.plantIds,
    prefix: row.prefix,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    revokedAt: row.revokedAt,
    lastUsedAt: row.lastUsedAt,
  }
}
