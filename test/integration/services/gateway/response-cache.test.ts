import { ApolloServer } from '@apollo/server'
import { createClient } from 'graphql-ws'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import WebSocket from 'ws'
import {
  adminKey,
  type GraphqlResponse,
  seedInspections,
  seedPlants,
  startCountedGateway,
} from './gateway-fixture.ts'

/**
 * The response cache (GATEWAY_RESPONSE_CACHE_MS) on a real gateway over HTTP: what is served again
 * (no SQL at all: every statement the gateway sends is counted on the wire), to whom, for how long,
 * and what empties it. A short TTL so expiry is observable.
 */
const ttlMs = 400

const stats = `query Stats($line: ID!) { lineStats(lineId: $line, from: "2026-11-03T00:00:00Z", to: "2026-11-04T00:00:00Z") {
  inspections byVerdict { verdict count } reviewedAccuracy { value samples } } }`
const latest = `query Latest($line: ID!) { inspections(first: 5, filter: { lineId: $line }) { edges { node { id verdict reviews { label } } } } }`

describe('gateway response cache (pglite)', () => {
  let gw: Awaited<ReturnType<typeof startCountedGateway>>
  let keyA: string
  let keyB: string

  const ask = async (
    key: string,
    text: string,
    variables?: Record<string, unknown>,
    accept?: string,
  ): Promise<
    GraphqlResponse & { cache: string | null; cacheControl: string | null; contentType: string | null }
  > => {
    const res = await fetch(gw.gateway.graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        ...(accept ? { accept } : {}),
      },
      body: JSON.stringify({ query: text, variables }),
    })
    const body = (await res.json()) as Omit<GraphqlResponse, 'status'>
    return {
      status: res.status,
      cache: res.headers.get('x-tokenline-cache'),
      cacheControl: res.headers.get('cache-control'),
      contentType: res.headers.get('content-type'),
      ...body,
    }
  }

  beforeAll(async () => {
    gw = await startCountedGateway('pglite', { GATEWAY_RESPONSE_CACHE_MS: String(ttlMs) })
    const lineIds = await seedPlants(gw.storage, 2, 1)
    await seedInspections(gw.storage, lineIds, 20)
    const created = await gw.query(
      'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
      { input: { name: 'viewer of plant 2', role: 'VIEWER', plantIds: ['plant-2'] } },
    )
    expect(created.errors).toBeUndefined()
    keyB = created.data!.createApiKey.secret
    const createdA = await gw.query(
      'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
      { input: { name: 'viewer of plant 1', role: 'VIEWER', plantIds: ['plant-1'] } },
    )
    expect(createdA.errors).toBeUndefined()
    keyA = createdA.data!.createApiKey.secret
  })

  afterAll(async () => {
    await gw?.close()
  })

  it('serves an identical read again within the TTL with no SQL, and computes it again after', async () => {
    const first = await ask(adminKey, stats, { line: 'line-1-1' })
    expect(first.errors).toBeUndefined()
    expect(first.cache).toBe('miss')
    gw.sql.reset()
    const again = await ask(adminKey, stats, { line: 'line-1-1' })
    expect(again.cache).toBe('hit')
    expect(again.data).toEqual(first.data)
    // Nothing outside the gateway may keep an answer, served from its cache or not.
    expect([first.cacheControl, again.cacheControl]).toEqual(['no-store', 'no-store'])
    expect(gw.sql.statements).toEqual([])
    // Other variables are another question.
    const other = await ask(adminKey, stats, { line: 'line-2-1' })
    expect(other.cache).toBe('miss')
    await new Promise((r) => setTimeout(r, ttlMs + 100))
    gw.sql.reset()
    const expired = await ask(adminKey, stats, { line: 'line-1-1' })
    expect(expired.cache).toBe('miss')
    expect(gw.sql.statements.length).toBeGreaterThan(0)
  })

  it('never serves a key an answer computed for another scope: plant 2’s viewer asking for plant 1’s line gets NOT_FOUND, not the cached page', async () => {
    const admin = await ask(adminKey, latest, { line: 'line-1-1' })
    expect(admin.errors).toBeUndefined()
    expect(admin.data!.inspections.edges.length).toBeGreaterThan(0)
    const b = await ask(keyB, latest, { line: 'line-1-1' })
    // inspections filtered by a line the key cannot see: an empty page, computed for this key's scope.
    expect(b.cache).toBe('miss')
    expect(b.data?.inspections?.edges ?? []).toEqual([])
    const bStats = await ask(keyB, stats, { line: 'line-1-1' })
    expect(bStats.errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
    // An answer with errors is not kept: asked again, it is computed again.
    const bStatsAgain = await ask(keyB, stats, { line: 'line-1-1' })
    expect(bStatsAgain.cache).toBe('miss')
    expect(bStatsAgain.errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
  })

  it('empties on a mutation, so a client reads its own write at once', async () => {
    const before = await ask(adminKey, latest, { line: 'line-1-1' })
    const inspectionId: string = before.data!.inspections.edges[0].node.id
    expect(before.data!.inspections.edges[0].node.reviews).not.toContainEqual({ label: 'crack' })
    expect((await ask(adminKey, latest, { line: 'line-1-1' })).cache).toBe('hit')
    const review = await ask(
      adminKey,
      'mutation($input: RecordReviewInput!) { recordReview(input: $input) { id label } }',
      { input: { inspectionId, label: 'crack', note: 'cache test' } },
    )
    expect(review.errors).toBeUndefined()
    const after = await ask(adminKey, latest, { line: 'line-1-1' })
    expect(after.cache).toBe('miss')
    const reviewed = after.data!.inspections.edges.find(
      (e: { node: { id: string } }) => e.node.id === inspectionId,
    )
    expect(reviewed.node.reviews.map((r: { label: string }) => r.label)).toContain('crack')
  })

  it('empties on a mutation sent over the WebSocket too', async () => {
    const before = await ask(adminKey, latest, { line: 'line-2-1' })
    const inspectionId: string = before.data!.inspections.edges[0].node.id
    expect((await ask(adminKey, latest, { line: 'line-2-1' })).cache).toBe('hit')
    const client = createClient({
      url: gw.gateway.graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${adminKey}` },
      retryAttempts: 0,
    })
    try {
      const result = await new Promise<{ errors?: unknown }>((resolve, reject) => {
        let last: { errors?: unknown } = {}
        client.subscribe(
          {
            query: 'mutation($input: RecordReviewInput!) { recordReview(input: $input) { id } }',
            variables: { input: { inspectionId, label: 'stain', note: 'over ws' } },
          },
          { next: (r) => (last = r), error: reject, complete: () => resolve(last) },
        )
      })
      expect(result.errors).toBeUndefined()
    } finally {
      await client.dispose()
    }
    const after = await ask(adminKey, latest, { line: 'line-2-1' })
    expect(after.cache).toBe('miss')
    const reviewed = after.data!.inspections.edges.find(
      (e: { node: { id: string } }) => e.node.id === inspectionId,
    )
    expect(reviewed.node.reviews.map((r: { label: string }) => r.label)).toContain('stain')
  })

  it('shares one execution between identical requests in flight, and serves the previous answer while one request refreshes it', async () => {
    const fresh = stats.replace('inspections byVerdict', 'inspections pending byVerdict')
    gw.sql.reset()
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => ask(adminKey, fresh, { line: 'line-2-1' })),
    )
    const once = [...gw.sql.statements]
    for (const a of answers) expect(a.data).toEqual(answers[0]!.data)
    expect(answers.filter((a) => a.cache === 'miss')).toHaveLength(1)
    // The same statements a single uncached request sends, not eight times as many.
    await new Promise((r) => setTimeout(r, 2 * ttlMs + 100))
    gw.sql.reset()
    await ask(adminKey, fresh, { line: 'line-2-1' })
    expect(once.length).toBe(gw.sql.statements.length)
    // Expired, within one more TTL: one request computes it again, none of the others waits for it.
    await new Promise((r) => setTimeout(r, ttlMs + 50))
    gw.sql.reset()
    const refreshed = await Promise.all(
      Array.from({ length: 8 }, () => ask(adminKey, fresh, { line: 'line-2-1' })),
    )
    expect(refreshed.filter((a) => a.cache === 'miss')).toHaveLength(1)
    expect(refreshed.every((a) => ['miss', 'stale', 'hit'].includes(a.cache ?? ''))).toBe(true)
    expect(gw.sql.statements.length).toBe(once.length)
  })

  it('answers a kept read before Apollo runs, only to the same scope, variables and accept header', async () => {
    const mine = 'query Mine { inspections(first: 5) { edges { node { id plant { id } } } } }'
    const plantsOf = (r: GraphqlResponse) =>
      new Set(r.data!.inspections.edges.map((e: { node: { plant: { id: string } } }) => e.node.plant.id))
    const apollo = vi.spyOn(ApolloServer.prototype, 'executeHTTPGraphQLRequest')
    const requestsOfMine = async () => {
      const text = await (await fetch(new URL('/metrics', gw.gateway.graphqlUrl))).text()
      const line = /tokenline_gateway_graphql_requests_total\{operation="Mine",outcome="ok"\} (\d+)/.exec(
        text,
      )
      return Number(line?.[1] ?? 0)
    }
    try {
      const a1 = await ask(keyA, mine)
      expect(a1.cache).toBe('miss')
      expect(plantsOf(a1)).toEqual(new Set(['plant-1']))
      expect(apollo).toHaveBeenCalledTimes(1)
      gw.sql.reset()
      const a2 = await ask(keyA, mine)
      expect(a2.cache).toBe('hit')
      expect(a2.data).toEqual(a1.data)
      expect([a2.cacheControl, a2.contentType]).toEqual([a1.cacheControl, a1.contentType])
      expect(gw.sql.statements).toEqual([])
      // Sent again by the HTTP handler: Apollo did not see the request.
      expect(apollo).toHaveBeenCalledTimes(1)
      // Still counted in the request metrics, under the operation's name.
      expect(await requestsOfMine()).toBe(2)

      // Plant 2's key, same text: its own answer, never plant 1's kept body.
      const b1 = await ask(keyB, mine)
      expect(b1.cache).toBe('miss')
      expect(plantsOf(b1)).toEqual(new Set(['plant-2']))
      expect(apollo).toHaveBeenCalledTimes(2)
      const b2 = await ask(keyB, mine)
      expect(b2.cache).toBe('hit')
      expect(b2.data).toEqual(b1.data)
      expect(apollo).toHaveBeenCalledTimes(2)
      const a3 = await ask(keyA, mine)
      expect(plantsOf(a3)).toEqual(new Set(['plant-1']))
      expect(apollo).toHaveBeenCalledTimes(2)

      // Other variables are another question, even ones the operation does not declare.
      expect((await ask(keyA, mine, { unused: 1 })).cache).toBe('miss')
      expect(apollo).toHaveBeenCalledTimes(3)
      // Another accept header: the kept bytes went out under another content type, so Apollo answers
      // (from the cache, without SQL).
      gw.sql.reset()
      const graphqlResponse = await ask(keyA, mine, undefined, 'application/graphql-response+json')
      expect(graphqlResponse.cache).toBe('hit')
      expect(graphqlResponse.data).toEqual(a1.data)
      expect(gw.sql.statements).toEqual([])
      expect(apollo).toHaveBeenCalledTimes(4)
    } finally {
      apollo.mockRestore()
    }
  })

  // Tried (review): with the read kept, the same text with an empty operation name and with a
  // persisted-query hash that does not match it. Apollo refuses both (400); the early path must not
  // answer them from the kept bytes (it did, with 200, before they were left to Apollo).
  it('leaves an empty operation name and extensions to Apollo, which refuses them, with the read kept', async () => {
    const mine = 'query Kept { inspections(first: 3) { edges { node { id } } } }'
    const post = (body: Record<string, unknown>) =>
      fetch(gw.gateway.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keyA}` },
        body: JSON.stringify({ query: mine, ...body }),
      })
    expect((await ask(keyA, mine)).cache).toBe('miss')
    expect((await ask(keyA, mine)).cache).toBe('hit')
    const unnamed = await post({ operationName: '' })
    expect(unnamed.status).toBe(400)
    expect(unnamed.headers.get('x-tokenline-cache')).not.toBe('hit')
    const wrongHash = await post({
      extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } },
    })
    expect(wrongHash.status).toBe(400)
    expect(wrongHash.headers.get('x-tokenline-cache')).not.toBe('hit')
  })

  it('always executes what is not a polled read: me, { __typename } and mixed operations', async () => {
    for (const text of ['{ me { name } }', '{ __typename }', '{ me { name } models { name } }']) {
      await ask(adminKey, text)
      const again = await ask(adminKey, text)
      expect(again.errors, text).toBeUndefined()
      expect(again.cache, text).toBeNull()
    }
  })
})
