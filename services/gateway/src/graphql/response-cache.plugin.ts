import { createHash } from 'node:crypto'
import { type ApolloServerPlugin, type GraphQLRequestContext, HeaderMap } from '@apollo/server'
import type { FormattedExecutionResult, OperationDefinitionNode } from 'graphql'
import { Counter, type Registry } from 'prom-client'
import type { Principal } from '../auth/principal.ts'
import type { GatewayContext } from './context.ts'

export type ResponseCacheOptions = {
  /** How long an answer is served again (GATEWAY_RESPONSE_CACHE_MS); 0 turns the cache off. */
  ttlMs: number
  /** Answers kept at most (least recently stored dropped first). */
  maxEntries?: number
  /** Answers larger than this (bytes of JSON, estimated) are not kept. */
  maxEntryBytes?: number
  registry?: Registry
  /** Clock (ms); tests move it. */
  now?: () => number
}

/**
 * Root query fields whose answer depends only on the database and on which plants the key sees:
 * the dashboard's polled reads. A query is served from the cache only when every root field is one
 * of these (`me`, `apiKeys` and the rest always execute).
 */
export const cacheableRootFields: ReadonlySet<string> = new Set([
  'lineStats',
  'inspections',
  'models',
  'scalingReports',
  'policyFrontier',
  'recommendPolicy',
])

/** An answer as Apollo serialised it for one `accept` header: what the HTTP handler sends again itself. */
export type SerialisedAnswer = { accept: string; body: string; headers: [string, string][] }

/** A kept answer's bytes and the operation they answer (for the request metrics). */
export type EarlyAnswer = SerialisedAnswer & { operationName: string | null }

type Entry = { expires: number; result: FormattedExecutionResult; http?: EarlyAnswer }

/**
 * Set on a request's context by the HTTP handler; the plugin notes in it the fresh entry the request
 * stored or was served from. A slot object, because Apollo copies the context (shallowly) per operation.
 */
export type ResponseCacheSlot = { served?: { key: string; entry: object; operationName: string | null } }

/** What the HTTP handler knows of a POST before Apollo: the request as sent, and who sent it. */
export type EarlyRequest = {
  query: string
  operationName: string | null | undefined
  variables: Record<string, unknown> | null | undefined
  accept: string
  principal: Principal
}

/**
 * A short-lived cache of whole answers for the dashboard's polled reads. Many dashboards polling the
 * same line ask the same question every few seconds; within `ttlMs` the answer is served again
 * without SQL or execution, and concurrent identical requests share one execution (single flight);
 * for one more TTL after expiry, while a single request computes the answer again, the others get
 * the previous one (stale while revalidate: answers are at most 2 × ttlMs plus one computation old).
 * The key is the operation text, its name, its variables and the asking key's role and plant scope,
 * so a key only ever gets an answer computed for the same scope. Authentication, the rate limit and
 * the depth/alias/complexity limits all run before the cache is consulted. Answers with errors are
 * never kept. Any mutation through this gateway empties the cache, so a client reads its own
 * writes; results arriving from Kafka show up at most `ttlMs` later than they would uncached.
 *
 * Early hits: once Apollo has produced and the HTTP handler has sent a kept answer, the handler
 * `remember`s its bytes on the entry, and later identical POSTs (same key, same `accept`) within
 * the TTL are answered by `early` before Apollo runs at all: no hashing of the document for Apollo's
 * caches, no plugins, no cost estimate, no JSON serialisation of the rows. That is sound because an
 * entry only exists for the exact text, operation name, variables and scope that went through
 * validation, the limits and the query-only check; authentication and the rate limit run before
 * `early` too. Stale answers and shared executions still go through Apollo.
 */
export function responseCachePlugin(options: ResponseCacheOptions): ApolloServerPlugin<GatewayContext> & {
  clear(): void
  size(): number
  early(request: EarlyRequest): EarlyAnswer | undefined
  remember(slot: ResponseCacheSlot, answer: SerialisedAnswer): void
} {
  const maxEntries = options.maxEntries ?? 1000
  const maxEntryBytes = options.maxEntryBytes ?? 1_048_576
  const now = options.now ?? Date.now
  const entries = new Map<string, Entry>()
  const inFlight = new Map<string, Promise<FormattedExecutionResult | undefined>>()
  const lookups = options.registry
    ? new Counter({
        name: 'tokenline_gateway_response_cache_total',
        help: 'Cacheable GraphQL reads by outcome (hit | stale: the previous answer while one request computes it again | shared: joined an identical request in flight | miss)',
        labelNames: ['outcome'],
        registers: [options.registry],
      })
    : undefined
  // Bumped by every clear: an execution that started before a mutation must not store its answer after it.
  let generation = 0
  const clear = () => {
    generation += 1
    entries.clear()
  }

  const store = (key: string, result: FormattedExecutionResult): Entry | undefined => {
    if (JSON.stringify(result).length > maxEntryBytes) return undefined
    const entry: Entry = { expires: now() + options.ttlMs, result }
    entries.delete(key)
    entries.set(key, entry)
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next().value
      if (oldest === undefined) break
      entries.delete(oldest)
    }
    return entry
  }

  return {
    clear,
    size: () => entries.size,
    early(request) {
      if (options.ttlMs <= 0) return undefined
      const key = cacheKeyOf(request.query, request.operationName, request.variables, request.principal)
      const entry = entries.get(key)
      if (!entry?.http || entry.expires <= now() || entry.http.accept !== request.accept) return undefined
      lookups?.inc({ outcome: 'hit' })
      return entry.http
    },
    remember(slot, answer) {
      if (!slot.served) return
      const { key, operationName } = slot.served
      const entry = slot.served.entry as Entry
      // Emptied or replaced since (a mutation, a refresh): these bytes are not that entry's.
      if (entries.get(key) !== entry || entry.http || entry.expires <= now()) return
      entry.http = { ...answer, operationName }
    },
    async requestDidStart() {
      if (options.ttlMs <= 0) return {}
      let key: string | undefined
      let settle: ((result: FormattedExecutionResult | undefined) => void) | undefined
      let startedAt = 0
      return {
        async responseForOperation(rc) {
          if (rc.operation?.operation === 'mutation') return null
          key = cacheKey(rc)
          if (key === undefined) return null
          const entry = entries.get(key)
          const t = now()
          if (entry && entry.expires > t) {
            lookups?.inc({ outcome: 'hit' })
            if (rc.contextValue.responseCache)
              rc.contextValue.responseCache.served = { key, entry, operationName: rc.operationName ?? null }
            return answer(entry.result, 'hit')
          }
          const pending = inFlight.get(key)
          // Expired less than a TTL ago and already being computed again: the previous answer now,
          // rather than everyone waiting for the one refresh.
          if (pending && entry && entry.expires + options.ttlMs > t) {
            lookups?.inc({ outcome: 'stale' })
            return answer(entry.result, 'stale')
          }
          if (pending) {
            const shared = await pending
            if (shared) {
              lookups?.inc({ outcome: 'shared' })
              return answer(shared, 'hit')
            }
            return null
          }
          lookups?.inc({ outcome: 'miss' })
          startedAt = generation
          inFlight.set(
            key,
            new Promise((resolve) => {
              settle = resolve
            }),
          )
          return null
        },
        async willSendResponse(rc) {
          // Whatever its outcome, a mutation may have changed what a cached answer shows.
          if (rc.operation?.operation === 'mutation') return clear()
          if (key === undefined || settle === undefined) return
          const body = rc.response.body
          const result =
            body.kind === 'single' && !body.singleResult.errors?.length && !rc.errors?.length
              ? body.singleResult
              : undefined
          const stored = result && startedAt === generation ? store(key, result) : undefined
          if (stored && rc.contextValue.responseCache)
            rc.contextValue.responseCache.served = {
              key,
              entry: stored,
              operationName: rc.operationName ?? null,
            }
          inFlight.delete(key)
          settle(result && startedAt === generation ? result : undefined)
          rc.response.http.headers.set('x-tokenline-cache', 'miss')
        },
      }
    },
  }
}

function answer(result: FormattedExecutionResult, outcome: 'hit' | 'stale') {
  const headers = new HeaderMap([['x-tokenline-cache', outcome]])
  return { http: { status: undefined, headers }, body: { kind: 'single' as const, singleResult: result } }
}

/** undefined when the operation is not cacheable. */
function cacheKey(rc: GraphQLRequestContext<GatewayContext>): string | undefined {
  const operation = rc.operation
  if (operation?.operation !== 'query' || !onlyCacheableRoots(operation)) return undefined
  return cacheKeyOf(
    rc.source ?? '',
    rc.request.operationName,
    rc.request.variables,
    rc.contextValue.principal,
  )
}

/** The operation text, its name and variables as sent, and the asking key's role and plant scope. */
export function cacheKeyOf(
  query: string,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  principal: Principal,
): string {
  const scope = principal.allPlants ? '*' : [...principal.plantIds].sort().join(',')
  return createHash('sha256')
    .update(query)
    .update('\0')
    .update(operationName ?? '')
    .update('\0')
    .update(JSON.stringify(variables ?? {}))
    .update('\0')
    .update(`${principal.role}\0${scope}`)
    .digest('base64url')
}

function onlyCacheableRoots(operation: OperationDefinitionNode): boolean {
  let cacheable = false
  for (const s of operation.selectionSet.selections) {
    // A fragment at the root could hold any field: such operations always execute.
    if (s.kind !== 'Field') return false
    if (s.name.value === '__typename') continue
    if (!cacheableRootFields.has(s.name.value)) return false
    cacheable = true
  }
  // `{ __typename }` alone costs nothing to execute: nothing to save.
  return cacheable
}
