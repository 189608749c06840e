import type { InspectionRow } from '../../../../lib/db/index.ts'
import { canSeePlant } from '../auth/principal.ts'
import { GatewayError } from '../errors.ts'
import type { PolicyEvent } from '../events/gateway-events.ts'
import { createContext, type GatewayContext } from './context.ts'
import { BatchLoader } from './internal/batch-loader.ts'
import { view, visibleLine } from './policy.resolvers.ts'
import type { SubscriptionResolvers } from './resolvers.generated.ts'

/**
 * Decided inspections and policy versions as they happen, of one line, one plant, or every plant
 * the key may see. Naming a line or plant the key may not see fails at subscribe with NOT_FOUND
 * (as a missing one does); events of other plants are never delivered.
 */
export const Subscription: SubscriptionResolvers = {
  inspectionDecided: {
    subscribe: async (_parent, { lineId, plantId }, ctx) => {
      await checkFilter(ctx, lineId, plantId)
      return only(ctx.events.listen('inspectionDecided'), ([row]) => wanted(ctx, row, lineId, plantId))
    },
    resolve: (payload: unknown, _args: unknown, ctx: GatewayContext) => {
      const [row] = event<InspectionRow>(payload)
      freshLoaders(ctx)
      return row
    },
  },
  policyChanged: {
    subscribe: async (_parent, { lineId, plantId }, ctx) => {
      await checkFilter(ctx, lineId, plantId)
      return only(ctx.events.listen('policyChanged'), ([event]) =>
        wanted(ctx, { lineId: event.row.lineId, plantId: event.plantId }, lineId, plantId),
      )
    },
    resolve: (payload: unknown, _args: unknown, ctx: GatewayContext) => {
      const [changed] = event<PolicyEvent>(payload)
      freshLoaders(ctx)
      return view(changed.row, changed, ctx)
    },
  },
}

/** The event a subscription delivers; a subscription sent over HTTP (executed as a query) has none. */
function event<T>(payload: unknown): [T] {
  if (!Array.isArray(payload)) {
    throw new GatewayError(
      'GATEWAY_ARGUMENT_INVALID',
      'subscriptions run over WebSocket (graphql-ws protocol) at /graphql; HTTP answers queries and mutations',
    )
  }
  return payload as [T]
}

async function checkFilter(
  ctx: GatewayContext,
  lineId?: string | null,
  plantId?: string | null,
): Promise<void> {
  if (lineId != null) await visibleLine(ctx, lineId)
  if (plantId != null && (!canSeePlant(ctx.principal, plantId) || !(await ctx.storage.plants.get(plantId)))) {
    throw new GatewayError('GATEWAY_NOT_FOUND', `no plant ${JSON.stringify(plantId)}`)
  }
}

function wanted(
  ctx: GatewayContext,
  event: { lineId: string; plantId: string },
  lineId?: string | null,
  plantId?: string | null,
): boolean {
  return (
    canSeePlant(ctx.principal, event.plantId) &&
    (lineId == null || event.lineId === lineId) &&
    (plantId == null || event.plantId === plantId)
  )
}

/**
 * The events `keep` accepts. A plain iterator rather than an async generator: a generator waiting
 * for the next event cannot be stopped until one comes, this one's return() ends the source
 * (removing its listener) at once when the client unsubscribes or disconnects.
 */
function only<T>(source: AsyncIterableIterator<T>, keep: (value: T) => boolean): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    async next() {
      for (;;) {
        const item = await source.next()
        if (item.done || keep(item.value)) return item
      }
    },
    return: (value?: unknown) => source.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
    [Symbol.asyncIterator]: () => iterator,
  }
  return iterator
}

/**
 * A subscription keeps one context for its whole life; the batch loaders in it cache per
 * request, so each event gets new ones (else line names stay stale and cached reviews grow).
 */
function freshLoaders(ctx: GatewayContext): void {
  const fresh = createContext(ctx.storage, ctx.maxPageSize, ctx.principal, ctx.events, ctx.edge, ctx.replay)
  for (const [name, value] of Object.entries(fresh)) {
    if (value instanceof BatchLoader) (ctx as Record<string, unknown>)[name] = value
  }
}
