import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStorage, type Storage } from '../../../../lib/db/index.ts'
import { loadConfig } from '../../../../services/gateway/src/config.ts'
import { type RunningGateway, startGateway } from '../../../../services/gateway/src/gateway.ts'
import { scalingReportFixture } from '../../lib/db/fixtures.ts'

// biome-ignore lint/suspicious/noExplicitAny: answers are JSON, checked by value below
type Json = any
type GraphqlResponse = {
  data?: Record<string, Json> | null
  errors?: { message: string; extensions?: Record<string, unknown> }[]
}

const adminKey = `tl_test_admin_${'x'.repeat(24)}`
const auth = { authorization: `Bearer ${adminKey}` }

describe('gateway GraphQL over HTTP (PGlite in memory)', () => {
  let storage: Storage
  let gateway: RunningGateway
  let modelsDir: string
  const ids: string[] = []

  const query = async (text: string, variables?: Record<string, unknown>): Promise<GraphqlResponse> => {
    const res = await fetch(gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ query: text, variables }),
    })
    return (await res.json()) as GraphqlResponse
  }

  beforeAll(async () => {
    modelsDir = mkdtempSync(join(tmpdir(), 'tokenline-models-'))
    mkdirSync(join(modelsDir, 'tiny-edge'))
    writeFileSync(
      join(modelsDir, 'tiny-edge', 'manifest.json'),
      JSON.stringify({
        schema: 'tokenline.model-manifest.v1',
        name: 'tiny-edge',
        role: 'edge',
        sha256: 'a'.repeat(64),
        labels: ['ok', 'pit'],
        patchSize: 8,
        channels: 1,
        colorSpace: 'b-w',
        normalisation: { mean: [0.5], std: [0.25] },
        budgets: [4, 16, 64],
        metrics: { '16': { accuracy: 0.8, perClassRecall: { ok: 0.9, pit: 0.7 }, samples: 300 } },
        measuredWith: 'npm run eval -- --model tiny-edge',
      }),
    )
    writeFileSync(join(modelsDir, 'tiny-edge', 'scaling.json'), JSON.stringify(scalingReportFixture()))
    // A report with the recall-form fits and bootstrap intervals (the one above predates them).
    writeFileSync(
      join(modelsDir, 'tiny-edge', 'scaling.q-any.json'),
      JSON.stringify(
        scalingReportFixture({
          question: 'any defect?',
          fits: {
            overall: { c: 1.2, alpha: 0.35, r2: 0.98, alphaInterval: [0.3, 0.4] },
            perClass: { pit: { c: 2.5, alpha: 0.6, r2: 0.95, alphaInterval: [0.5, 0.7] } },
            perClassRecall: { pit: { c: 0.05, alpha: 0.45, r2: 0.9, alphaInterval: [0.4, 0.5] } },
          },
        }),
      ),
    )
    mkdirSync(join(modelsDir, 'broken'))
    writeFileSync(join(modelsDir, 'broken', 'scaling-old.json'), '{"schema": "nope"')

    storage = await openStorage({ driver: 'pglite-memory' })
    await storage.plants.upsert({ id: 'plant-1', name: 'Plant One' })
    await storage.lines.upsert({ id: 'line-a', plantId: 'plant-1', name: 'Line A' })
    const t0 = Date.parse('2026-11-03T10:00:00.000Z')
    for (let i = 0; i < 5; i++) {
      const id = randomUUID()
      ids.push(id)
      await storage.inspections.upsert({
        id,
        lineId: i < 4 ? 'line-a' : 'line-b',
        plantId: 'plant-1',
        receivedAt: new Date(t0 + i * 1000),
        question: i === 1 ? 'is there a pit?' : null,
        policyVersion: 2,
        escalated: i % 2 === 1,
        edge: {
          label: 'ok',
          probabilities: { ok: 0.6, pit: 0.4 },
          budget: 16,
          tokens: 16,
          model: 'tiny-edge',
          cost: 0.01,
        },
        ...(i % 2 === 1
          ? {
              cloud: {
                label: 'pit',
                probabilities: { ok: 0.05, pit: 0.95 },
                budget: 256,
                tokens: 262,
                model: 'c',
                cost: 0.5,
                answer: 0.9,
              },
              final: {
                verdict: 'pit',
                decidedBy: 'cloud' as const,
                decidedAt: new Date(t0 + i * 1000 + 800),
                latencyMs: 800,
              },
            }
          : {
              final: {
                verdict: 'ok',
                decidedBy: 'edge' as const,
                decidedAt: new Date(t0 + i * 1000 + 20),
                latencyMs: 20,
              },
            }),
      })
    }
    await storage.reviews.record({
      id: randomUUID(),
      inspectionId: ids[3]!,
      label: 'scratch',
      reviewer: 'ana',
      createdAt: new Date(t0 + 60_000),
    })
    const config = loadConfig({
      GATEWAY_PORT: '0',
      TOKENLINE_MODELS_DIR: modelsDir,
      GATEWAY_MAX_REQUEST_BYTES: '4096',
      GATEWAY_ADMIN_KEY: adminKey,
    })
    gateway = await startGateway(config, { log: pino({ level: 'silent' }), storage })
  })

  afterAll(async () => {
    await gateway?.close()
    await storage?.close()
    rmSync(modelsDir, { recursive: true, force: true })
  })

  it('lists plants with their lines, and lines with their plant', async () => {
    const { data, errors } = await query(
      '{ plants { id name lines { id name } } lines(plantId: "plant-1") { id plant { name } } }',
    )
    expect(errors).toBeUndefined()
    expect(data?.plants).toEqual([
      {
        id: 'plant-1',
        name: 'Plant One',
        lines: [
          { id: 'line-a', name: 'Line A' },
          { id: 'line-b', name: 'line-b' },
        ],
      },
    ])
    expect(data?.lines.map((l: { plant: { name: string } }) => l.plant.name)).toEqual([
      'Plant One',
      'Plant One',
    ])
  })

  it('pages inspections of a line newest first with cursors and a total', async () => {
    const page = `query Page($after: String) {
      inspections(filter: { lineId: "line-a" }, first: 3, after: $after) {
        totalCount
        edges { cursor node { id receivedAt line { id } plant { id } } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }`
    const first = await query(page)
    expect(first.errors).toBeUndefined()
    const conn = first.data!.inspections
    expect(conn.totalCount).toBe(4)
    expect(conn.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([ids[3], ids[2], ids[1]])
    expect(conn.edges[0].node).toMatchObject({
      receivedAt: '2026-11-03T10:00:03.000Z',
      line: { id: 'line-a' },
      plant: { id: 'plant-1' },
    })
    expect(conn.pageInfo).toMatchObject({
      hasNextPage: true,
      hasPreviousPage: false,
      endCursor: conn.edges[2].cursor,
    })
    const second = await query(page, { after: conn.pageInfo.endCursor })
    expect(second.data!.inspections.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([ids[0]])
    expect(second.data!.inspections.pageInfo.hasNextPage).toBe(false)
  })

  it('filters by decider, verdict, escalation and time window', async () => {
    const { data, errors } = await query(`{
      cloud: inspections(filter: { decidedBy: CLOUD }) { totalCount edges { node { decidedBy verdict escalated } } }
      ok: inspections(filter: { verdict: "ok", escalated: false }) { totalCount }
      window: inspections(filter: { from: "2026-11-03T10:00:01Z", to: "2026-11-03T10:00:03Z" }) { edges { node { receivedAt } } }
    }`)
    expect(errors).toBeUndefined()
    expect(data?.cloud.totalCount).toBe(1)
    expect(data?.cloud.edges[0].node).toEqual({ decidedBy: 'CLOUD', verdict: 'pit', escalated: true })
    expect(data?.ok.totalCount).toBe(3)
    expect(data?.window.edges.map((e: { node: { receivedAt: string } }) => e.node.receivedAt)).toEqual([
      '2026-11-03T10:00:02.000Z',
      '2026-11-03T10:00:01.000Z',
    ])
  })

  it('shows one inspection with edge and cloud results, tokens, cost and reviews', async () => {
    const { data, errors } = await query(
      `query One($id: ID!) { inspection(id: $id) {
        id question policyVersion verdict decidedBy latencyMs
        edge { label budget tokens model probabilities { label probability } }
        cloud { label budget tokens answerProbability probabilities { label probability } }
        tokens { edge cloud total } cost { edge cloud total }
        reviews { label reviewer createdAt }
      } }`,
      { id: ids[1] },
    )
    expect(errors).toBeUndefined()
    expect(data?.inspection).toMatchObject({
      id: ids[1],
      question: 'is there a pit?',
      policyVersion: 2,
      verdict: 'pit',
      decidedBy: 'CLOUD',
      latencyMs: 800,
      edge: {
        label: 'ok',
        budget: 16,
        tokens: 16,
        model: 'tiny-edge',
        probabilities: [
          { label: 'ok', probability: 0.6 },
          { label: 'pit', probability: 0.4 },
        ],
      },
      cloud: { label: 'pit', budget: 256, tokens: 262, answerProbability: 0.9 },
      tokens: { edge: 16, cloud: 262, total: 278 },
      cost: { edge: 0.01, cloud: 0.5, total: 0.51 },
      reviews: [],
    })
    const reviewed = await query(
      `{ inspection(id: "${ids[3]}") { verdict decidedBy reviews { label reviewer } } }`,
    )
    expect(reviewed.data?.inspection).toEqual({
      verdict: 'scratch',
      decidedBy: 'HUMAN',
      reviews: [{ label: 'scratch', reviewer: 'ana' }],
    })
    expect((await query(`{ inspection(id: "${randomUUID()}") { id } }`)).data?.inspection).toBeNull()
  })

  it('serves the models and scaling reports imported from the models folder at start', async () => {
    const { data, errors } = await query(`{
      models { name role budgets patchSize measuredWith metrics { budget accuracy perClassRecall { label value } samples } }
      scalingReports(model: "tiny-edge") {
        id model question dataset { path count }
        points { budget accuracy error tokensPerImage perClass { label recall error count } }
        fit { overall { c alpha r2 alphaLow alphaHigh } perClass { label c alpha r2 } perClassRecall { label alpha } }
      }
      none: scalingReports(model: "unknown") { id }
    }`)
    expect(errors).toBeUndefined()
    expect(data?.models).toEqual([
      {
        name: 'tiny-edge',
        role: 'EDGE',
        budgets: [4, 16, 64],
        patchSize: 8,
        measuredWith: 'npm run eval -- --model tiny-edge',
        metrics: [
          {
            budget: 16,
            accuracy: 0.8,
            perClassRecall: [
              { label: 'ok', value: 0.9 },
              { label: 'pit', value: 0.7 },
            ],
            samples: 300,
          },
        ],
      },
    ])
    expect(data!.scalingReports).toHaveLength(2)
    const report = data!.scalingReports.find((r: { question: string | null }) => r.question === null)
    const withRecall = data!.scalingReports.find((r: { question: string | null }) => r.question !== null)
    expect(withRecall.fit).toEqual({
      overall: { c: 1.2, alpha: 0.35, r2: 0.98, alphaLow: 0.3, alphaHigh: 0.4 },
      perClass: [{ label: 'pit', c: 2.5, alpha: 0.6, r2: 0.95 }],
      perClassRecall: [{ label: 'pit', alpha: 0.45 }],
    })
    const fixture = scalingReportFixture()
    expect(report.dataset).toEqual({ path: 'data/test', count: 300 })
    expect(report.points.map((p: { budget: number }) => p.budget)).toEqual([4, 16, 64])
    expect(report.points[2].perClass).toEqual([
      { label: 'ok', recall: 0.9, error: 0.1, count: 200 },
      { label: 'pit', ...fixture.points[2]!.perClass.pit },
    ])
    expect(report.fit).toEqual({
      overall: { c: 1.2, alpha: 0.35, r2: 0.98, alphaLow: null, alphaHigh: null },
      perClass: [
        { label: 'ok', c: 0.1, alpha: 0.01, r2: null },
        { label: 'pit', c: 2.5, alpha: 0.6, r2: 0.95 },
      ],
      perClassRecall: [],
    })
    expect(data?.none).toEqual([])
    const byId = await query(`{ scalingReport(id: "${report.id}") { model points { budget } } }`)
    expect(byId.data?.scalingReport).toEqual({
      model: 'tiny-edge',
      points: [{ budget: 4 }, { budget: 16 }, { budget: 64 }],
    })
  })

  it('answers bad requests with codes in extensions.code', async () => {
    const code = async (text: string) => (await query(text)).errors?.[0]?.extensions?.code
    expect(await code('{ inspections(first: 101) { totalCount } }')).toBe('PAGE_TOO_LARGE')
    expect(await code('{ inspections(first: 0) { totalCount } }')).toBe('BAD_USER_INPUT')
    expect(await code('{ inspections(after: "bm90LWEtY3Vyc29y") { totalCount } }')).toBe('CURSOR_INVALID')
    expect(await code('{ inspection(id: "42") { id } }')).toBe('BAD_USER_INPUT')
    const badTime = await query(
      'query T($from: DateTime) { inspections(filter: { from: $from }) { totalCount } }',
      {
        from: 'yesterday',
      },
    )
    expect(badTime.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
    expect(badTime.errors?.[0]?.message).toContain('ISO-8601')
    const invalid = await query('{ inspections { nope } }')
    expect(invalid.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED')
    // Tried: a field that does not exist; no server stack trace comes back (set explicitly, not by NODE_ENV).
    expect(invalid.errors?.[0]?.extensions).not.toHaveProperty('stacktrace')

    const big = await fetch(gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ query: `{ plants { id } } # ${'x'.repeat(5000)}` }),
    })
    expect(big.status).toBe(413)
    expect(((await big.json()) as GraphqlResponse).errors?.[0]?.extensions?.code).toBe('REQUEST_TOO_LARGE')

    const notJson = await fetch(gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: '{"query":',
    })
    expect(notJson.status).toBe(400)
    expect(((await notJson.json()) as GraphqlResponse).errors?.[0]?.extensions?.code).toBe('BAD_REQUEST')
  })

  it('serves health, readiness and GraphQL metrics on the same port', async () => {
    const base = gateway.graphqlUrl.replace('/graphql', '')
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    expect((await fetch(`${base}/readyz`)).status).toBe(200)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(metrics).toMatch(/tokenline_gateway_graphql_requests_total\{operation="Page",outcome="ok"\} 2/)
    const get = await fetch(`${gateway.graphqlUrl}?query=${encodeURIComponent('{ plants { id } }')}`, {
      headers: { 'apollo-require-preflight': 'true', ...auth },
    })
    expect(((await get.json()) as GraphqlResponse).data).toEqual({ plants: [{ id: 'plant-1' }] })
  })
})
