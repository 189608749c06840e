import type { ApiKeyRole } from '../../../../lib/db/index.ts'
import { GatewayError } from '../errors.ts'

/** Who is asking: the API key a request or a WebSocket connection presented, once verified. */
export type Principal = {
  keyId: string
  /** The key's name: recorded as the author of policy changes and reviews. */
  name: string
  role: ApiKeyRole
  /** Sees every plant, present and future. */
  allPlants: boolean
  plantIds: ReadonlySet<string>
}

const rank: Record<ApiKeyRole, number> = { viewer: 1, operator: 2, admin: 3 }

export function hasRole(principal: Principal, role: ApiKeyRole): boolean {
  return rank[principal.role] >= rank[role]
}

export function canSeePlant(principal: Principal, plantId: string): boolean {
  return principal.allPlants || principal.plantIds.has(plantId)
}

/** Throws GATEWAY_FORBIDDEN unless the key's role is at least `role`. */
export function requireRole(principal: Principal, role: ApiKeyRole, action: string): void {
  if (!hasRole(principal, role)) {
    throw new GatewayError(
      'GATEWAY_FORBIDDEN',
      `${action} needs the ${role} role; this key (${principal.name}) is ${principal.role}`,
    )
  }
}

/**
 * Throws GATEWAY_NOT_FOUND when the plant is not the key's (the same answer as for a plant that
 * does not exist, so a key cannot learn what other plants hold), GATEWAY_FORBIDDEN when the role
 * is too low for `action`.
 */
export function requirePlant(
  principal: Principal,
  plantId: string,
  role: ApiKeyRole,
  action: string,
  what = `plant ${JSON.stringify(plantId)}`,
): void {
  if (!canSeePlant(principal, plantId)) throw new GatewayError('GATEWAY_NOT_FOUND', `no ${what}`)
  requireRole(principal, role, action)
}

/** The plant ids a query must be restricted to; undefined = every plant. */
export function visiblePlants(principal: Principal): string[] | undefined {
  return principal.allPlants ? undefined : [...principal.plantIds]
}
