import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminKey, type Json, seedInspections, seedPlants, startCountedGateway } from './gateway-fixture.ts'

// apollo-require-preflight: Apollo's CSRF prevention serves a GET only with a header no simple browser request sends.
const auth = { authorization: `Bearer ${adminKey}`, 'apollo-require-preflight': 'true' }

describe('gateway HTTP and error answers (PGlite)', () => {
  let gw: Awaited<ReturnType<typeof startCountedGateway>>

  beforeAll(async () => {
    gw = await startCountedGateway('pglite')
    await seedInspections(gw.storage, await seedPlants(gw.storage, 1, 2), 30)
  })

  afterAll(async () => {
    await gw?.close()
  })

  it.each(['PUT', 'DELETE', 'PATCH'])('answers %s with 405 and allow: GET, POST', async (method) => {
    const res = await fetch(gw.gateway.graphqlUrl, {
      method,
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, POST')
    expect(((await res.json()) as Json).errors[0].extensions.code).toBe('METHOD_NOT_ALLOWED')
  })

  it('serves a GET up to the 64 KB request limit, and refuses one above it with a code', async () => {
    // A comment is no token: 60 KB of it keeps the query within the parser's token limit.
    const query = `# ${'x'.repeat(60_000)}\n{ __typename }`
    const res = await fetch(`${gw.gateway.graphqlUrl}?query=${encodeURIComponent(query)}`, { headers: auth })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } })
    const over = await fetch(
      `${gw.gateway.graphqlUrl}?query=${encodeURIComponent(`# ${'x'.repeat(66_000)}\n{ __typename }`)}`,
      {
        headers: auth,
      },
    )
    expect(over.status).toBe(413)
    expect(((await over.json()) as Json).errors[0].extensions.code).toBe('REQUEST_TOO_LARGE')
  })

  it('answers mutation { __typename } as a mutation, and a subscription over HTTP as BAD_REQUEST', async () => {
    expect(await gw.query('mutation { __typename }')).toEqual({
      status: 200,
      data: { __typename: 'Mutation' },
    })
    const sub = await gw.query('subscription { inspectionDecided { id } }')
    expect(sub.status).toBe(400)
    expect(sub.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_REQUEST'])
  })

  it('answers a forged cursor with CURSOR_INVALID, not INTERNAL_SERVER_ERROR', async () => {
    const forged = Buffer.from('-271821-04-20T00:00:00.000Z|0b7f6c9e-8a1d-4c2e-9f3a-5d6e7f8a9b0c').toString(
      'base64url',
    )
    for (const after of [
      forged,
      Buffer.from('5|0b7f6c9e-8a1d-4c2e-9f3a-5d6e7f8a9b0c').toString('base64url'),
    ]) {
      const res = await gw.query(
        'query ($after: String) { inspections(first: 5, after: $after) { edges { cursor } } }',
        {
          after,
        },
      )
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['CURSOR_INVALID'])
    }
  })

  it('counts totalCount up to atMost (default 10,000) and refuses an atMost out of range', async () => {
    const res = await gw.query(`{
      all: inspections(first: 1) { totalCount }
      capped: inspections(first: 1) { totalCount(atMost: 7) }
      pits: inspections(first: 1, filter: { verdict: "pit" }) { totalCount(atMost: 100) }
    }`)
    // 6 edge verdicts of pit, 2 of them reviewed as ok
    expect(res.data).toEqual({ all: { totalCount: 30 }, capped: { totalCount: 7 }, pits: { totalCount: 4 } })
    const bad = await gw.query('{ inspections(first: 1) { totalCount(atMost: 0) } }')
    expect(bad.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT'])
  })

  it('hides introspection and "Did you mean" suggestions by default', async () => {
    const schema = await gw.query('{ __schema { types { name } } }')
    expect(schema.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED'])
    const typo = await gw.query('{ plantz { id } }')
    expect(typo.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED')
    expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/)
  })

  it('keeps the operation label of the request metrics to 50 names plus other', async () => {
    for (let i = 0; i < 80; i++) await gw.query(`query Name${i} { __typename }`)
    await gw.query('query Name3 { __typename }')
    const metrics = await (await fetch(new URL('/metrics', gw.gateway.graphqlUrl))).text()
    const operations = new Set(
      [...metrics.matchAll(/tokenline_gateway_graphql_requests_total\{operation="([^"]+)"/g)].map(
        (m) => m[1],
      ),
    )
    expect(operations.size).toBeLessThanOrEqual(52)
    expect(operations).toContain('Name3')
    expect(operations).toContain('other')
    expect(operations).not.toContain('Name79')
  })
})

describe('gateway with GATEWAY_INTROSPECTION=true (PGlite)', () => {
  it('answers introspection and suggests field names', async () => {
    const gw = await startCountedGateway('pglite', { GATEWAY_INTROSPECTION: 'true' })
    try {
      const schema = await gw.query('{ __schema { queryType { name } } }')
      expect(schema.data).toEqual({ __schema: { queryType: { name: 'Query' } } })
      const typo = await gw.query('{ plantz { id } }')
      expect(typo.errors?.[0]?.message).toMatch(/Did you mean .*"plants"/)
    } finally {
      await gw.close()
    }
  })
})

describe('gateway on PostgreSQL with every pool connection busy', () => {
  it('answers SERVICE_UNAVAILABLE, retriable, when no connection frees up in time', async () => {
    const gw = await startCountedGateway('postgres', { GATEWAY_REQUEST_TIMEOUT_MS: '30000' })
    // The gateway's pool (10 connections) fully taken by transactions that wait.
    const release: (() => void)[] = []
    let holding: Promise<unknown> = Promise.resolve()
    try {
      await seedPlants(gw.storage, 1, 1)
      holding = Promise.all(
        Array.from({ length: 10 }, () =>
          gw.storage.transaction(
            () =>
              new Promise<void>((resolve) => {
                release.push(resolve)
              }),
          ),
        ),
      )
      while (release.length < 10) await new Promise((resolve) => setTimeout(resolve, 20))
      const res = await gw.query('{ plants { id } }')
      expect(res.errors?.map((e) => [e.extensions?.code, e.extensions?.retriable])).toEqual([
        ['SERVICE_UNAVAILABLE', true],
      ])
      for (const r of release) r()
      await holding
      expect((await gw.query('{ plants { id } }')).data).toEqual({ plants: [{ id: 'plant-1' }] })
    } finally {
      for (const r of release) r()
      await holding
      await gw.close()
    }
  })
})
