/**
 * Issue 14, security: every refusal answered with its code AND logged (one structured `refused`
 * line: code, key id, role, plants, operation, field; never a secret), over HTTP and WebSocket:
 * no key, a wrong key, a revoked key, a viewer changing policy, plant A's key on plant B through
 * every query, mutation and subscription of the schema, oversize bodies, rate-limit bursts.
 * The codes alone are also covered by auth.test.ts, subscriptions.test.ts and http-audit.test.ts;
 * this file adds the log and the schema-wide coverage check.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { buildSchema, type GraphQLObjectType } from 'graphql'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStorage, type Storage } from '../../../../lib/db/index.ts'
import { loadConfig } from '../../../../services/gateway/src/config.ts'
import { type RunningGateway, startGateway } from '../../../../services/gateway/src/gateway.ts'
import { schemaPath } from '../../../../services/gateway/src/graphql/apollo.ts'
import {
  gql,
  type Json,
  policyInput,
  testAdminKey,
  updatePolicyMutation,
  waitFor,
  wsOperation,
} from './gateway-client.ts'

type LogLine = Record<string, Json>
const raw: string[] = []
const lines: LogLine[] = []
const log = pino(
  { level: 'info', base: { service: 'gateway' } },
  {
    write(s: string) {
      raw.push(s)
      lines.push(JSON.parse(s) as LogLine)
    },
  },
)

let storage: Storage
let gateway: RunningGateway
/** A second gateway on the same database with a small bucket (1/s, burst 5), for the burst. */
let limitedGateway: RunningGateway
let url: string
type Key = { id: string; secret: string }
const keys: Record<'viewerA' | 'adminA' | 'adminB' | 'revoked' | 'burst', Key> = {} as never
const wrongKey = `tl_${'w'.repeat(40)}`
let inspectionB: string

/** Refusal lines logged since `mark` (an index into `lines`). */
const refusedSince = (mark: number) => lines.slice(mark).filter((l) => l.event === 'refused')

async function expectLogged(mark: number, want: Record<string, Json>): Promise<LogLine> {
  return waitFor(
    () =>
      refusedSince(mark).find((l) =>
        Object.entries(want).every(([k, v]) => JSON.stringify(l[k]) === JSON.stringify(v)),
      ),
    5_000,
    `a refused line with ${JSON.stringify(want)}; logged: ${JSON.stringify(refusedSince(mark))}`,
  )
}

beforeAll(async () => {
  storage = await openStorage({ driver: 'pglite-memory' })
  gateway = await startGateway(loadConfig({ GATEWAY_PORT: '0', GATEWAY_ADMIN_KEY: testAdminKey }), {
    log,
    storage,
  })
  limitedGateway = await startGateway(
    loadConfig({
      GATEWAY_PORT: '0',
      GATEWAY_ADMIN_KEY: testAdminKey,
      GATEWAY_RATE_LIMIT_PER_SECOND: '1',
      GATEWAY_RATE_LIMIT_BURST: '5',
    }),
    { log, storage },
  )
  url = gateway.graphqlUrl
  const admin = (query: string, variables?: Record<string, unknown>) =>
    gql(url, testAdminKey, query, variables)
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
    expect(
      (await admin(updatePolicyMutation, { lineId: `line-${p}1`, policy: policyInput(), reason: 'first' }))
        .errors,
    ).toBeUndefined()
  }
  inspectionB = randomUUID()
  await storage.inspections.upsert({
    id: inspectionB,
    lineId: 'line-b1',
    plantId: 'plant-b',
    receivedAt: new Date(),
    final: { verdict: 'ok', decidedBy: 'edge', decidedAt: new Date() },
  })
  const create = async (name: string, role: string, plantIds: string[]): Promise<Key> => {
    const { data, errors } = await admin(
      'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret key { id } } }',
      { input: { name, role, plantIds } },
    )
    expect(errors).toBeUndefined()
    return { id: data!.createApiKey.key.id, secret: data!.createApiKey.secret }
  }
  keys.viewerA = await create('viewer of A', 'VIEWER', ['plant-a'])
  keys.adminA = await create('admin of A', 'ADMIN', ['plant-a'])
  keys.adminB = await create('admin of B', 'ADMIN', ['plant-b'])
  keys.revoked = await create('revoked', 'VIEWER', ['plant-a'])
  keys.burst = await create('burst', 'VIEWER', ['plant-a'])
  expect(
    (await admin('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: keys.revoked.id })).errors,
  ).toBeUndefined()
})

afterAll(async () => {
  await limitedGateway?.close()
  await gateway?.close()
  await storage?.close()
})

describe('refusals are answered with codes and logged', () => {
  it('no key, a malformed, a wrong and a revoked key: 401 UNAUTHENTICATED over HTTP, 4401 over WebSocket, each logged with its reason', async () => {
    const tries: [string, string | undefined, string][] = [
      ['no key', undefined, 'missing'],
      ['malformed', 'not a key', 'malformed'],
      ['wrong key', wrongKey, 'unknown'],
      ['revoked key', keys.revoked.secret, 'revoked'],
    ]
    for (const [what, key, reason] of tries) {
      let mark = lines.length
      const http = await gql(url, key, '{ plants { id } }')
      expect({ what, status: http.status, code: http.errors?.[0]?.extensions?.code }).toEqual({
        what,
        status: 401,
        code: 'UNAUTHENTICATED',
      })
      await expectLogged(mark, { code: 'UNAUTHENTICATED', transport: 'http', reason })
      mark = lines.length
      expect({ what, ws: await wsOperation(url, key, { query: '{ plants { id } }' }) }).toEqual({
        what,
        ws: 'closed:4401',
      })
      await expectLogged(mark, { code: 'UNAUTHENTICATED', transport: 'ws', reason })
    }
  })

  it('a viewer changing policy: FORBIDDEN over HTTP and WebSocket, logged with its key id, role, plants and operation', async () => {
    let mark = lines.length
    const http = await gql(url, keys.viewerA.secret, updatePolicyMutation, {
      lineId: 'line-a1',
      policy: policyInput(),
      reason: 'viewer tries',
    })
    expect(http.errors?.[0]?.extensions?.code).toBe('FORBIDDEN')
    await expectLogged(mark, {
      code: 'FORBIDDEN',
      transport: 'http',
      keyId: keys.viewerA.id,
      role: 'viewer',
      plants: ['plant-a'],
      operation: 'Update',
      path: 'updatePolicy',
    })
    mark = lines.length
    const ws = await wsOperation(url, keys.viewerA.secret, {
      query:
        'mutation Back { rollbackPolicy(lineId: "line-a1", toVersion: 1, reason: "viewer") { version } }',
    })
    expect(ws).toBe('FORBIDDEN')
    await expectLogged(mark, {
      code: 'FORBIDDEN',
      transport: 'ws',
      keyId: keys.viewerA.id,
      operation: 'Back',
      path: 'rollbackPolicy',
    })
    expect(await storage.policies.history('line-a1')).toHaveLength(1)
  })

  describe("plant A's key on plant B: every query, mutation and subscription of the schema", () => {
    type Case = {
      query: string
      variables?: () => Record<string, unknown>
      /** The code the field answers; else the answer must hold nothing of plant B. */
      refused?: 'NOT_FOUND' | 'FORBIDDEN'
      /** Not plant-scoped (the model catalogue, the key itself): asserted to answer. */
      global?: true
    }
    const cases: Record<string, Case> = {
      'Query.plants': { query: '{ plants { id } }' },
      'Query.plant': { query: '{ plant(id: "plant-b") { id } }' },
      'Query.lines': { query: '{ lines(plantId: "plant-b") { id } }' },
      'Query.line': { query: '{ line(id: "line-b1") { id } }' },
      'Query.inspections': {
        query: '{ inspections(filter: { plantId: "plant-b" }) { edges { node { id } } } }',
      },
      'Query.inspection': {
        query: 'query($id: ID!) { inspection(id: $id) { id } }',
        variables: () => ({ id: inspectionB }),
      },
      'Query.models': { query: '{ models { name } }', global: true },
      'Query.model': { query: '{ model(name: "edge-vit-s") { name } }', global: true },
      'Query.scalingReports': { query: '{ scalingReports { id } }', global: true },
      'Query.scalingReport': { query: '{ scalingReport(id: "1") { id } }', global: true },
      'Query.me': { query: '{ me { plantIds } }', global: true },
      'Query.lineStats': { query: '{ lineStats(lineId: "line-b1") { inspections } }', refused: 'NOT_FOUND' },
      'Query.policy': { query: '{ policy(lineId: "line-b1") { version } }', refused: 'NOT_FOUND' },
      'Query.policyHistory': {
        query: '{ policyHistory(lineId: "line-b1") { version } }',
        refused: 'NOT_FOUND',
      },
      'Query.reviewQueue': { query: '{ reviewQueue(plantId: "plant-b") { edges { node { id } } } }' },
      'Query.policyFrontier': {
        query: '{ policyFrontier(lineId: "line-b1") { images } }',
        refused: 'NOT_FOUND',
      },
      'Query.recommendPolicy': {
        query: '{ recommendPolicy(lineId: "line-b1", targetAccuracy: 0.9) { explanation } }',
        refused: 'NOT_FOUND',
      },
      'Query.replayPolicy': {
        query: 'query($p: PolicyInput!) { replayPolicy(lineId: "line-b1", policy: $p) { images } }',
        variables: () => ({ p: policyInput() }),
        refused: 'NOT_FOUND',
      },
      'Query.apiKeys': { query: '{ apiKeys { name plantIds } }' },
      'Mutation.createPlant': {
        query: 'mutation { createPlant(input: { id: "plant-z", name: "Z" }) { id } }',
        refused: 'FORBIDDEN',
      },
      'Mutation.createLine': {
        query: 'mutation { createLine(input: { id: "line-b9", plantId: "plant-b", name: "L" }) { id } }',
        refused: 'NOT_FOUND',
      },
      'Mutation.submitInspection': {
        query:
          'mutation { submitInspection(input: { lineId: "line-b1", imageBase64: "iVBORw0KGgo=" }) { id } }',
        refused: 'NOT_FOUND',
      },
      'Mutation.updatePolicy': {
        query: updatePolicyMutation,
        variables: () => ({ lineId: 'line-b1', policy: policyInput(), reason: 'take over' }),
        refused: 'NOT_FOUND',
      },
      'Mutation.rollbackPolicy': {
        query: 'mutation { rollbackPolicy(lineId: "line-b1", toVersion: 1, reason: "r") { version } }',
        refused: 'NOT_FOUND',
      },
      'Mutation.recordReview': {
        query: 'mutation($id: ID!) { recordReview(input: { inspectionId: $id, label: "pit" }) { id } }',
        variables: () => ({ id: inspectionB }),
        refused: 'NOT_FOUND',
      },
      'Mutation.createApiKey': {
        query:
          'mutation { createApiKey(input: { name: "x", role: VIEWER, plantIds: ["plant-b"] }) { secret } }',
        refused: 'NOT_FOUND',
      },
      'Mutation.revokeApiKey': {
        query: 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }',
        variables: () => ({ id: keys.adminB.id }),
        refused: 'NOT_FOUND',
      },
      'Subscription.inspectionDecided': {
        query: 'subscription { inspectionDecided(lineId: "line-b1") { id } }',
        refused: 'NOT_FOUND',
      },
      'Subscription.policyChanged': {
        query: 'subscription { policyChanged(plantId: "plant-b") { version } }',
        refused: 'NOT_FOUND',
      },
    }

    it('has a case for every root field of schema.graphql', () => {
      const schema = buildSchema(readFileSync(schemaPath, 'utf8'))
      const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]
      const fields = roots.flatMap((t: GraphQLObjectType | null | undefined) =>
        t ? Object.keys(t.getFields()).map((f) => `${t.name}.${f}`) : [],
      )
      expect(Object.keys(cases).sort()).toEqual(fields.sort())
    })

    for (const [field, c] of Object.entries(cases)) {
      it(`${field}: ${c.refused ?? (c.global ? 'not plant-scoped' : 'nothing of plant B')}, over HTTP and WebSocket`, async () => {
        const subscription = field.startsWith('Subscription.')
        const payload = { query: c.query, variables: c.variables?.() }
        let mark = lines.length
        if (!subscription) {
          const http = await gql(url, keys.adminA.secret, c.query, payload.variables)
          if (c.refused) {
            expect(http.errors?.[0]?.extensions?.code, JSON.stringify(http.errors)).toBe(c.refused)
            await expectLogged(mark, {
              code: c.refused,
              transport: 'http',
              keyId: keys.adminA.id,
              plants: ['plant-a'],
              path: field.split('.')[1],
            })
          } else {
            expect(http.errors, JSON.stringify(http.errors)).toBeUndefined()
            if (!c.global) expect(JSON.stringify(http.data)).not.toMatch(/plant-b|line-b|admin of B/)
          }
        }
        mark = lines.length
        const ws = await wsOperation(url, keys.adminA.secret, payload)
        if (c.refused) {
          expect(ws).toBe(c.refused)
          await expectLogged(mark, { code: c.refused, transport: 'ws', keyId: keys.adminA.id })
        } else {
          expect(ws).toBe('accepted')
        }
      })
    }

    it('left plant B untouched', async () => {
      expect(await storage.policies.history('line-b1')).toHaveLength(1)
      expect((await storage.apiKeys.get(keys.adminB.id))?.revokedAt).toBeNull()
      expect(await storage.lines.get('line-b9')).toBeUndefined()
    })
  })

  it('an oversize body: 413 REQUEST_TOO_LARGE over HTTP, close 1009 over WebSocket, both logged', async () => {
    const big = `{ me { name } } # ${'x'.repeat(70_000)}`
    let mark = lines.length
    const http = await gql(url, keys.adminA.secret, big)
    expect({ status: http.status, code: http.errors?.[0]?.extensions?.code }).toEqual({
      status: 413,
      code: 'REQUEST_TOO_LARGE',
    })
    await expectLogged(mark, { code: 'REQUEST_TOO_LARGE', transport: 'http', keyId: keys.adminA.id })
    mark = lines.length
    expect(await wsOperation(url, keys.adminA.secret, { query: big })).toBe('closed:1009')
    await expectLogged(mark, { code: 'REQUEST_TOO_LARGE', transport: 'ws' })
  })

  it('a rate-limit burst: each request past the bucket is answered 429 RATE_LIMITED and logged once, over HTTP and WebSocket', async () => {
    const mark = lines.length
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => gql(limitedGateway.graphqlUrl, keys.burst.secret, '{ me { name } }')),
    )
    const limited = answers.filter((a) => a.status === 429)
    expect(limited.length).toBeGreaterThan(0)
    for (const a of limited) {
      expect(a.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retriable: true })
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0)
    }
    await waitFor(
      () =>
        refusedSince(mark).filter((l) => l.code === 'RATE_LIMITED' && l.keyId === keys.burst.id).length ===
        limited.length
          ? true
          : undefined,
      5_000,
      `${limited.length} RATE_LIMITED lines`,
    )
    // The bucket is empty: an operation over the socket is refused too (the connection itself
    // takes one token, so it may already be the connection that is refused).
    const wsMark = lines.length
    const ws = await wsOperation(limitedGateway.graphqlUrl, keys.burst.secret, { query: '{ me { name } }' })
    expect(['RATE_LIMITED', 'closed:4429']).toContain(ws)
    await expectLogged(wsMark, { code: 'RATE_LIMITED', transport: 'ws', keyId: keys.burst.id })
  })

  it('never writes a key, a wrong key or an authorization header to the log', () => {
    expect(lines.filter((l) => l.event === 'refused').length).toBeGreaterThan(40)
    const secrets = [testAdminKey, wrongKey, ...Object.values(keys).map((k) => k.secret)]
    // Refusal messages say `Bearer <key>` as a template; a header value would be Bearer + a token.
    const leaks = raw.filter(
      (line) => secrets.some((s) => line.includes(s)) || /bearer [A-Za-z0-9_-]/i.test(line),
    )
    expect(leaks).toEqual([])
  })
})
