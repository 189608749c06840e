import { randomUUID } from 'node:crypto'
import { type Client, createClient } from 'graphql-ws'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { type InspectionRow, openStorage, type Storage } from '../../../../lib/db/index.ts'
import { loadConfig } from '../../../../services/gateway/src/config.ts'
import { type RunningGateway, startGateway } from '../../../../services/gateway/src/gateway.ts'
import {
  gql,
  initAnswer,
  type Json,
  policyInput,
  testAdminKey,
  updatePolicyMutation,
  waitFor,
} from './gateway-client.ts'

const silent = pino({ level: 'silent' })

describe('subscriptions over graphql-ws', () => {
  let storage: Storage
  let gateway: RunningGateway
  let wsUrl: string
  const clients: Client[] = []
  let keyA: { id: string; secret: string }
  let stopped = false

  const connect = (secret: string, onClosed?: (event: unknown) => void) => {
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${secret}` },
      retryAttempts: 0,
      lazy: false,
      on: onClosed ? { closed: onClosed } : undefined,
    })
    clients.push(client)
    return client
  }

  const decided = async (plantId: string, lineId: string): Promise<InspectionRow> =>
    storage.inspections.upsert({
      id: randomUUID(),
      lineId,
      plantId,
      receivedAt: new Date(),
      final: { verdict: 'scratch', decidedBy: 'cloud', decidedAt: new Date() },
    })

  beforeAll(async () => {
    storage = await openStorage({ driver: 'pglite-memory' })
    gateway = await startGateway(loadConfig({ GATEWAY_PORT: '0', GATEWAY_ADMIN_KEY: testAdminKey }), {
      log: silent,
      storage,
    })
    wsUrl = gateway.graphqlUrl.replace('http://', 'ws://')
    const admin = (query: string, variables?: Record<string, unknown>) =>
      gql(gateway.graphqlUrl, testAdminKey, query, variables)
    for (const p of ['a', 'b']) {
      expect(
        (await admin(`mutation { createPlant(input: { id: "plant-${p}", name: "P" }) { id } }`)).errors,
      ).toBeUndefined()
      expect(
        (
          await admin(
            `mutation { createLine(input: { id: "line-${p}1", plantId: "plant-${p}", name: "L" }) { id } }`,
          )
        ).errors,
      ).toBeUndefined()
    }
    const created = await admin(
      'mutation { createApiKey(input: { name: "viewer of A", role: VIEWER, plantIds: ["plant-a"] }) { secret key { id } } }',
    )
    keyA = { id: created.data!.createApiKey.key.id, secret: created.data!.createApiKey.secret }
  })

  afterAll(async () => {
    for (const client of clients) await client.dispose()
    if (!stopped) await gateway?.close()
    await storage?.close()
  })

  it('refuses a connection without a valid key with close code 4401', async () => {
    expect(await initAnswer(wsUrl, undefined)).toEqual({
      code: 4401,
      reason: 'UNAUTHENTICATED: expected an API key as `authorization: Bearer <key>`; received none',
    })
    expect(await initAnswer(wsUrl, `Bearer tl_${'n'.repeat(40)}`)).toEqual({
      code: 4401,
      reason: 'UNAUTHENTICATED: the API key is not known',
    })
    expect(await initAnswer(wsUrl, `Bearer ${testAdminKey}`)).toEqual({ message: { type: 'connection_ack' } })
    const elsewhere = await new Promise<Error>((resolve) => {
      const ws = new WebSocket(wsUrl.replace('/graphql', '/elsewhere'), 'graphql-transport-ws')
      ws.once('error', resolve)
    })
    expect(elsewhere.message).toBe('Unexpected server response: 404')
  })

  it('delivers policyChanged of a line when an admin updates its policy over HTTP', async () => {
    const client = connect(testAdminKey)
    const events = client.iterate({
      query:
        'subscription { policyChanged(lineId: "line-a1") { lineId plantId version author reason edge { budget } warnings } }',
    })
    const next = events.next()
    await waitFor(() => gateway.events.listenerCount('policyChanged') === 1, 10_000, 'the subscription')
    const updated = await gql(gateway.graphqlUrl, testAdminKey, updatePolicyMutation, {
      lineId: 'line-a1',
      policy: policyInput(),
      reason: 'watched',
    })
    expect(updated.errors).toBeUndefined()
    const { value } = await next
    expect(value).toEqual({
      data: {
        policyChanged: {
          lineId: 'line-a1',
          plantId: 'plant-a',
          version: 1,
          author: 'admin (GATEWAY_ADMIN_KEY)',
          reason: 'watched',
          edge: { budget: 16 },
          warnings: [],
        },
      },
    })
    await events.return?.()
    await waitFor(() => gateway.events.listenerCount('policyChanged') === 0, 10_000, 'the listener to go')
  })

  it('delivers inspectionDecided to a plant A key for plant A only', async () => {
    const client = connect(keyA.secret)
    const events = client.iterate({
      query: 'subscription { inspectionDecided { id verdict decidedBy line { id } plant { id } } }',
    })
    const next = events.next()
    await waitFor(() => gateway.events.listenerCount('inspectionDecided') === 1, 10_000, 'the subscription')
    const b = await decided('plant-b', 'line-b1')
    const a = await decided('plant-a', 'line-a1')
    gateway.events.emit('inspectionDecided', b)
    gateway.events.emit('inspectionDecided', a)
    const { value } = await next
    expect(value).toEqual({
      data: {
        inspectionDecided: {
          id: a.id,
          verdict: 'scratch',
          decidedBy: 'CLOUD',
          line: { id: 'line-a1' },
          plant: { id: 'plant-a' },
        },
      },
    })
    await events.return?.()
  })

  it("refuses a filter naming another plant's line or plant with NOT_FOUND at subscribe", async () => {
    const client = connect(keyA.secret)
    for (const query of [
      'subscription { inspectionDecided(lineId: "line-b1") { id } }',
      'subscription { inspectionDecided(plantId: "plant-b") { id } }',
      'subscription { policyChanged(lineId: "line-b1") { version } }',
      'subscription { policyChanged(plantId: "plant-b") { version } }',
      'subscription { policyChanged(plantId: "no-such-plant") { version } }',
    ]) {
      const results: Json[] = []
      for await (const result of client.iterate({ query })) results.push(result)
      expect(results, query).toHaveLength(1)
      expect(results[0].data ?? null, query).toBeNull()
      expect(results[0].errors[0].extensions, query).toEqual({ code: 'NOT_FOUND', retriable: false })
    }
    expect(gateway.events.listenerCount('inspectionDecided')).toBe(0)
  })

  it('tells a client that sends a subscription over HTTP to use the WebSocket', async () => {
    const { errors } = await gql(
      gateway.graphqlUrl,
      testAdminKey,
      'subscription { policyChanged { version } }',
    )
    // Refused before it runs (the limits plugin), as a request the HTTP transport does not serve.
    expect(errors?.[0]?.extensions?.code).toBe('BAD_REQUEST')
    expect(errors?.[0]?.message).toContain('served over WebSocket at /graphql')
  })

  it('refuses over WebSocket what HTTP refuses: too deep, too many aliases', async () => {
    const client = connect(testAdminKey)
    const refusal = async (query: string) => {
      const events = client.iterate({ query })
      const err = await events.next().then(
        () => undefined,
        (e: unknown) => e,
      )
      return ((err as { extensions?: { code?: string } }[] | undefined) ?? [])[0]?.extensions?.code
    }
    // 12 levels: inspectionDecided { line { plant { lines { plant { lines … } } } } }
    let deep = 'id'
    for (let i = 0; i < 5; i++) deep = `lines { plant { ${deep} } }`
    expect(await refusal(`subscription { inspectionDecided { line { plant { ${deep} } } } }`)).toBe(
      'QUERY_TOO_DEEP',
    )
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: id`).join(' ')
    expect(await refusal(`subscription { inspectionDecided { ${aliases} } }`)).toBe('TOO_MANY_ALIASES')
    // Apollo's 5,000-token parse cap: without it a wide selection reaches graphql's quadratic validation.
    expect(await refusal(`subscription { inspectionDecided { ${'id '.repeat(6000)} } }`)).toBe(
      'GRAPHQL_PARSE_FAILED',
    )
    // graphql's own rules and variable coercion carry the codes Apollo gives them on HTTP.
    expect(await refusal('subscription { inspectionDecided { secret } }')).toBe('GRAPHQL_VALIDATION_FAILED')
    const events = client.iterate({
      query: 'subscription($l: ID) { inspectionDecided(lineId: $l) { id } }',
      variables: { l: { not: 'an id' } },
    })
    const coerced = await events.next().then(
      (r) => r.value?.errors?.[0]?.extensions?.code,
      (e: unknown) => (e as { extensions?: { code?: string } }[])[0]?.extensions?.code,
    )
    expect(coerced).toBe('BAD_USER_INPUT')
  })

  it('closes the sockets of a key when it is revoked', async () => {
    const created = await gql(
      gateway.graphqlUrl,
      testAdminKey,
      'mutation { createApiKey(input: { name: "soon revoked", role: VIEWER, plantIds: ["plant-a"] }) { secret key { id } } }',
    )
    const { secret, key } = created.data!.createApiKey
    let closed: { code?: number } | undefined
    const client = connect(secret, (event) => {
      closed = event as { code?: number }
    })
    const events = client.iterate({ query: 'subscription { policyChanged { version } }' })
    const next = events.next().catch((err: unknown) => err)
    await waitFor(() => gateway.events.listenerCount('policyChanged') === 1, 10_000, 'the subscription')
    await gql(gateway.graphqlUrl, testAdminKey, 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }', {
      id: key.id,
    })
    await waitFor(() => closed, 10_000, 'the socket to close')
    expect(closed?.code).toBe(4401)
    await next
    await waitFor(() => gateway.events.listenerCount('policyChanged') === 0, 10_000, 'the listener to go')
  })

  it('closes open connections when the gateway shuts down', async () => {
    let closed: { code?: number } | undefined
    const client = connect(testAdminKey, (event) => {
      closed = event as { code?: number }
    })
    const events = client.iterate({ query: 'subscription { inspectionDecided { id } }' })
    const next = events.next().catch((err: unknown) => err)
    await waitFor(() => gateway.events.listenerCount('inspectionDecided') === 1, 10_000, 'the subscription')
    stopped = true
    await gateway.close()
    await waitFor(() => closed, 10_000, 'the socket to close')
    expect(closed?.code).toBe(1001)
    await next
    expect(gateway.events.listenerCount('inspectionDecided')).toBe(0)
  })
})
