import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStorage, type Storage } from '../../../../lib/db/index.ts'
import { loadConfig } from '../../../../services/gateway/src/config.ts'
import { EdgeClient } from '../../../../services/gateway/src/edge/edge.client.ts'
import { type RunningGateway, startGateway } from '../../../../services/gateway/src/gateway.ts'
import { freePort, startTestBroker, type TestBroker } from '../../lib/messaging/embedded-broker.ts'
import { startTestEdge, type TestEdge } from '../edge/edge-fixture.ts'
import { gql, policyInput, testAdminKey, updatePolicyMutation, waitFor } from './gateway-client.ts'

const silent = pino({ level: 'silent' })

const healthQuery = `query($id: ID!) {
  line(id: $id) {
    id
    policy { version }
    edgeHealth {
      url reachable error nodeId kafkaUp outboxRows outboxBytes outboxOldestAt
      queueWaiting queueActive problems policyVersion
    }
  }
}`

describe('Line.edgeHealth: what the line’s edge reports about itself', () => {
  let broker: TestBroker
  let edge: TestEdge
  let storage: Storage
  let gateway: RunningGateway
  let closedUrl: string
  const admin = (query: string, variables?: Record<string, unknown>) =>
    gql(gateway.graphqlUrl, testAdminKey, query, variables)

  beforeAll(async () => {
    broker = await startTestBroker()
    edge = await startTestEdge(broker.brokers, { EDGE_NODE_ID: 'edge-health-test' })
    storage = await openStorage({ driver: 'pglite-memory' })
    gateway = await startGateway(
      loadConfig({
        GATEWAY_PORT: '0',
        GATEWAY_ADMIN_KEY: testAdminKey,
        KAFKA_BROKERS: broker.brokers.join(','),
      }),
      { log: silent, storage },
    )
    // A port nothing listens on.
    closedUrl = `http://127.0.0.1:${await freePort()}`
    expect(
      (await admin('mutation { createPlant(input: { id: "plant-1", name: "One" }) { id } }')).errors,
    ).toBeUndefined()
    for (const [id, url] of [
      ['line-a', edge.url],
      ['line-down', closedUrl],
      ['line-none', null],
    ] as const) {
      const created = await admin(
        'mutation($id: ID!, $name: String!, $url: String) { createLine(input: { id: $id, plantId: "plant-1", name: $name, edgeUrl: $url }) { id } }',
        { id, name: id, url },
      )
      expect(created.errors).toBeUndefined()
    }
  }, 120_000)

  afterAll(async () => {
    await gateway?.close()
    await storage?.close()
    await edge?.cleanup()
    await broker?.close()
  })

  it('reports a reachable edge: node id, Kafka, outbox, queue, and the policy version it holds for the line', async () => {
    const updated = await admin(updatePolicyMutation, {
      lineId: 'line-a',
      policy: policyInput(),
      reason: 'edge health test',
    })
    expect(updated.errors).toBeUndefined()
    const health = await waitFor(
      async () => {
        const { data, errors } = await admin(healthQuery, { id: 'line-a' })
        expect(errors).toBeUndefined()
        const h = data?.line.edgeHealth
        return h?.policyVersion === 1 && h.kafkaUp === true ? data?.line : undefined
      },
      60_000,
      'the edge to report Kafka up and policy version 1',
    )
    expect(health.policy.version).toBe(1)
    expect(health.edgeHealth).toMatchObject({
      url: edge.url,
      reachable: true,
      error: null,
      nodeId: 'edge-health-test',
      kafkaUp: true,
      policyVersion: 1,
    })
    expect(health.edgeHealth.outboxRows).toBeGreaterThanOrEqual(0)
    expect(health.edgeHealth.outboxBytes).toBeGreaterThanOrEqual(0)
    expect(health.edgeHealth.queueWaiting).toBeGreaterThanOrEqual(0)
    expect(health.edgeHealth.queueActive).toBeGreaterThanOrEqual(0)
    expect(health.edgeHealth.problems).toEqual([])
    if (health.edgeHealth.outboxOldestAt !== null) {
      expect(Number.isNaN(Date.parse(health.edgeHealth.outboxOldestAt))).toBe(false)
    }
  }, 90_000)

  it('reports an edge on a closed port as unreachable with an error, quickly', async () => {
    const started = Date.now()
    const { data, errors } = await admin(healthQuery, { id: 'line-down' })
    expect(errors).toBeUndefined()
    expect(Date.now() - started).toBeLessThan(2_500)
    expect(data?.line.edgeHealth).toMatchObject({
      url: closedUrl,
      reachable: false,
      nodeId: null,
      kafkaUp: null,
      outboxRows: null,
      policyVersion: null,
      problems: [],
    })
    expect(data?.line.edgeHealth.error).toContain(`${closedUrl}/v1/health`)
  })

  it('gives null for a line without an edge URL', async () => {
    const { data, errors } = await admin(healthQuery, { id: 'line-none' })
    expect(errors).toBeUndefined()
    expect(data?.line).toMatchObject({ id: 'line-none', edgeHealth: null })
  })
})

describe('EdgeClient.health', () => {
  let server: Server
  let url: string
  let requests = 0
  let answer: { status: number; body: string; delayMs?: number } = { status: 200, body: '{}' }

  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests += 1
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'application/json' })
        res.end(answer.body)
      }, answer.delayMs ?? 0)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const client = () => new EdgeClient({ defaultUrl: undefined, maxSubmitBytes: 1024, timeoutMs: 1_000 })
  const good = {
    nodeId: 'n1',
    kafka: 'down',
    outbox: { rows: 3, bytes: 1200, oldestCreatedAt: '2026-01-01T00:00:00.000Z' },
    queue: { waiting: 1, active: 0 },
    problems: ['outbox holds 3 unsent records (limit 3)', { code: 'X', message: 'y' }],
    lines: [{ plantId: 'p', lineId: 'l', policyVersion: 4 }],
  }

  it('shares one request among concurrent callers and reuses the answer for about 2 s', async () => {
    answer = { status: 200, body: JSON.stringify(good), delayMs: 100 }
    requests = 0
    const c = client()
    const [a, b] = await Promise.all([c.health(url), c.health(url)])
    expect(requests).toBe(1)
    expect(a).toBe(b)
    expect(a).toMatchObject({ reachable: true, report: { nodeId: 'n1', kafka: 'down' } })
    if (a.reachable) expect(a.report.problems).toEqual([good.problems[0], 'X: y'])
    await c.health(url)
    expect(requests).toBe(1)
  })

  it('turns a non-200 or a malformed body into reachable: false, never throwing', async () => {
    answer = { status: 503, body: 'busy' }
    expect(await client().health(url)).toMatchObject({
      reachable: false,
      error: expect.stringContaining('HTTP 503'),
    })
    answer = { status: 200, body: 'not json' }
    expect(await client().health(url)).toMatchObject({
      reachable: false,
      error: expect.stringContaining('not JSON'),
    })
    answer = { status: 200, body: JSON.stringify({ ...good, kafka: 'maybe' }) }
    expect(await client().health(url)).toMatchObject({
      reachable: false,
      error: expect.stringContaining('kafka'),
    })
  })
})
