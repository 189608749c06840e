import { Kafka, logLevel } from 'kafkajs'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStorage, type Storage } from '../../../../lib/db/index.ts'
import { type PolicyV2, policyV2 } from '../../../../lib/messaging/index.ts'
import { loadConfig } from '../../../../services/gateway/src/config.ts'
import { type RunningGateway, startGateway } from '../../../../services/gateway/src/gateway.ts'
import { freePort, startTestBroker, type TestBroker } from '../../lib/messaging/embedded-broker.ts'
import { images, startTestEdge, type TestEdge } from '../edge/edge-fixture.ts'
import { gql, type Json, policyInput, testAdminKey, updatePolicyMutation, waitFor } from './gateway-client.ts'

const silent = pino({ level: 'silent' })

/** Every policy message on the topic so far, read from the start by a fresh group. */
async function readPolicies(brokers: string[], until: (seen: PolicyV2[]) => boolean): Promise<PolicyV2[]> {
  const kafka = new Kafka({ brokers, clientId: 'policy-test', logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `policy-test-${Math.random()}`, maxWaitTimeInMs: 100 })
  const seen: PolicyV2[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [policyV2.topic], fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(policyV2.decode(message.value, message.headers))
      },
    })
    await waitFor(() => until(seen), 60_000, 'policy messages on the broker')
    return seen
  } finally {
    await consumer.disconnect()
  }
}

describe('policies reach a real edge; images are forwarded to it', () => {
  let broker: TestBroker
  let edge: TestEdge
  let storage: Storage
  let gateway: RunningGateway
  const admin = (query: string, variables?: Record<string, unknown>) =>
    gql(gateway.graphqlUrl, testAdminKey, query, variables)

  beforeAll(async () => {
    broker = await startTestBroker()
    edge = await startTestEdge(broker.brokers)
    storage = await openStorage({ driver: 'pglite-memory' })
    gateway = await startGateway(
      loadConfig({
        GATEWAY_PORT: '0',
        GATEWAY_ADMIN_KEY: testAdminKey,
        KAFKA_BROKERS: broker.brokers.join(','),
        // A 256×256 PNG in base64 is larger than the default 64 KiB request.
        GATEWAY_MAX_REQUEST_BYTES: String(1024 * 1024),
        GATEWAY_MAX_SUBMIT_BYTES: String(200 * 1024),
      }),
      { log: silent, storage },
    )
    const plant = await admin('mutation { createPlant(input: { id: "plant-1", name: "One" }) { id } }')
    expect(plant.errors).toBeUndefined()
    const line = await admin(
      'mutation($url: String) { createLine(input: { id: "line-a", plantId: "plant-1", name: "A", edgeUrl: $url }) { edgeUrl } }',
      { url: edge.url },
    )
    expect(line.data?.createLine.edgeUrl).toBe(edge.url)
  }, 120_000)

  afterAll(async () => {
    await gateway?.close()
    await storage?.close()
    await edge?.cleanup()
    await broker?.close()
  })

  const edgeVersion = async () => {
    const body = (await (await fetch(`${edge.url}/v1/lines`)).json()) as {
      lines: { lineId: string; policyVersion: number | null }[]
    }
    return body.lines.find((l) => l.lineId === 'line-a')?.policyVersion ?? null
  }

  it('refuses an invalid policy naming every bad field, and stores nothing', async () => {
    const bad = policyInput({
      edge: { model: 'edge-vit-s', budget: 20, ladder: [64, 36, 999] },
      cloud: { model: 'edge-vit-s', budget: 256 },
      escalation: {
        thresholds: { minConfidence: 1.5, minMargin: -0.1, maxEntropy: -1 },
        perClass: [
          { label: 'dent', minConfidence: 0.5 },
          { label: 'pit', minConfidence: 2 },
          { label: 'pit', minMargin: -0.1 },
        ],
        alwaysEscalate: ['crack', 'bubble'],
        auditRate: 1.2,
      },
      cloudTokenCapPerHour: -5,
      deadlineMs: 0,
      costPer1kTokens: { edge: -1, cloud: 0.02 },
      question: 'x'.repeat(501),
      egress: { mode: 'REGION', regionMarginPatches: 99 },
    })
    const { data, errors } = await admin(updatePolicyMutation, { lineId: 'line-a', policy: bad, reason: ' ' })
    expect(data?.updatePolicy ?? null).toBeNull()
    expect(errors?.[0]?.extensions?.code).toBe('POLICY_INVALID')
    expect(errors?.[0]?.extensions?.retriable).toBe(false)
    const fields = errors?.[0]?.extensions?.fields as { path: string; message: string }[]
    expect(fields.map((f) => f.path).sort()).toEqual(
      [
        'reason',
        'escalation.perClass[2].label',
        'edge.budget',
        'edge.ladder[1]',
        'edge.ladder[2]',
        'cloud.model',
        'escalation.thresholds.minConfidence',
        'escalation.thresholds.minMargin',
        'escalation.thresholds.maxEntropy',
        'escalation.perClass.dent.label',
        'escalation.perClass.pit.minMargin',
        'escalation.alwaysEscalate[1]',
        'escalation.auditRate',
        'cloudTokenCapPerHour',
        'deadlineMs',
        'costPer1kTokens.edge',
        'question',
        'egress.regionMarginPatches',
      ].sort(),
    )
    // The duplicate pit entry: the later one wins in the body, and its own range is checked.
    expect(fields.find((f) => f.path === 'edge.budget')?.message).toBe(
      'expected a budget edge-vit-s supports (16, 36, 64, 100, 144, 196, 256); received 20',
    )
    expect(fields.find((f) => f.path === 'cloud.model')?.message).toBe(
      'expected a model with role cloud; "edge-vit-s" has role edge',
    )
    expect(await storage.policies.history('line-a')).toEqual([])
  })

  it('stores an update as a new version with author and reason, publishes it, and the edge applies it', async () => {
    const { data, errors } = await admin(updatePolicyMutation, {
      lineId: 'line-a',
      policy: policyInput({ escalation: { thresholds: { minConfidence: 0.8 }, auditRate: 0 } }),
      reason: 'first policy of line A',
    })
    expect(errors).toBeUndefined()
    expect(data?.updatePolicy).toMatchObject({
      lineId: 'line-a',
      plantId: 'plant-1',
      version: 1,
      author: 'admin (GATEWAY_ADMIN_KEY)',
      reason: 'first policy of line A',
      rolledBackTo: null,
      edge: { model: 'edge-vit-s', budget: 16, ladder: [64] },
      escalation: {
        thresholds: { minConfidence: 0.8, minMargin: null, maxEntropy: null },
        perClass: [],
        auditRate: 0,
      },
      atCap: 'EDGE_VERDICT',
      pastDeadline: 'HOLD',
      egress: { mode: 'WHOLE', regionMarginPatches: 1 },
    })
    expect(data?.updatePolicy.warnings).toEqual([
      'escalation.auditRate 0: confident edge decisions are never checked, so edge accuracy has no unbiased estimate',
    ])
    await waitFor(async () => (await edgeVersion()) === 1, 60_000, 'the edge to apply version 1')

    const second = await admin(updatePolicyMutation, {
      lineId: 'line-a',
      policy: policyInput({ edge: { model: 'edge-vit-s', budget: 36, ladder: [] } }),
      reason: 'more tokens',
    })
    expect(second.errors).toBeUndefined()
    expect(second.data?.updatePolicy).toMatchObject({ version: 2, edge: { budget: 36, ladder: [] } })
    await waitFor(async () => (await edgeVersion()) === 2, 60_000, 'the edge to apply version 2')

    const published = await readPolicies(broker.brokers, (seen) => seen.some((p) => p.version === 2))
    expect(published.find((p) => p.version === 2)).toMatchObject({
      plantId: 'plant-1',
      lineId: 'line-a',
      author: 'admin (GATEWAY_ADMIN_KEY)',
      reason: 'more tokens',
      edge: { model: 'edge-vit-s', budget: 36, ladder: [] },
      escalation: { perClass: { pit: { minConfidence: 0.9 } }, alwaysEscalate: ['crack'], auditRate: 0.05 },
      question: 'is there a scratch?',
    })

    const history = await admin(`{
      policy(lineId: "line-a") { version }
      first: policy(lineId: "line-a", version: 1) { version reason edge { budget } }
      missing: policy(lineId: "line-a", version: 9) { version }
      policyHistory(lineId: "line-a") { version author reason createdAt }
      line(id: "line-a") { policy { version } }
    }`)
    expect(history.errors).toBeUndefined()
    expect(history.data).toMatchObject({
      policy: { version: 2 },
      first: { version: 1, reason: 'first policy of line A', edge: { budget: 16 } },
      missing: null,
      line: { policy: { version: 2 } },
    })
    expect(history.data?.policyHistory.map((p: Json) => [p.version, p.reason])).toEqual([
      [2, 'more tokens'],
      [1, 'first policy of line A'],
    ])
  })

  it('rolls back to an earlier version as a new version, published to the edge; an unknown version is NOT_FOUND', async () => {
    const rollback = (toVersion: number, reason = 'back to 16 tokens') =>
      admin(
        'mutation($v: Int!, $r: String!) { rollbackPolicy(lineId: "line-a", toVersion: $v, reason: $r) { version rolledBackTo author reason edge { budget ladder } } }',
        { v: toVersion, r: reason },
      )
    const { data, errors } = await rollback(1)
    expect(errors).toBeUndefined()
    expect(data?.rollbackPolicy).toEqual({
      version: 3,
      rolledBackTo: 1,
      author: 'admin (GATEWAY_ADMIN_KEY)',
      reason: 'back to 16 tokens',
      edge: { budget: 16, ladder: [64] },
    })
    await waitFor(async () => (await edgeVersion()) === 3, 60_000, 'the edge to apply version 3')
    expect((await rollback(42)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
    expect((await rollback(1, '')).errors?.[0]?.extensions).toMatchObject({
      code: 'POLICY_INVALID',
      fields: [{ path: 'reason' }],
    })
    expect(await storage.policies.history('line-a')).toHaveLength(3)
  })

  it("forwards a submitted image to the line's edge, which decides it", async () => {
    const [png] = images(1)
    const { data, errors } = await admin(
      'mutation($input: SubmitInspectionInput!) { submitInspection(input: $input) { id disposition edgeLabel edgeConfidence } }',
      { input: { lineId: 'line-a', imageBase64: png!.toString('base64'), question: 'is there a pit?' } },
    )
    expect(errors).toBeUndefined()
    const submitted = data!.submitInspection
    expect(submitted.disposition).toMatch(/^(ACCEPTED|ESCALATED|HELD)$/)
    expect(['ok', 'scratch', 'pit', 'stain', 'crack']).toContain(submitted.edgeLabel)
    expect(submitted.edgeConfidence).toBeGreaterThan(0)
    const atEdge = (await (await fetch(`${edge.url}/v1/inspections/${submitted.id}`)).json()) as Json
    expect(atEdge).toMatchObject({
      inspectionId: submitted.id,
      lineId: 'line-a',
      question: 'is there a pit?',
      policyVersion: 3,
      edge: { label: submitted.edgeLabel, confidence: submitted.edgeConfidence },
    })
  })

  it('maps bad images and an unreachable edge to codes', async () => {
    const submit = (lineId: string, imageBase64: string) =>
      admin(
        'mutation($l: ID!, $b: String!) { submitInspection(input: { lineId: $l, imageBase64: $b }) { id } }',
        {
          l: lineId,
          b: imageBase64,
        },
      )
    const notImage = await submit('line-a', Buffer.from('definitely not an image').toString('base64'))
    expect(notImage.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      edgeCode: 'EDGE_UNSUPPORTED_TYPE',
    })
    const [whole] = images(1)
    const truncated = await submit('line-a', whole!.subarray(0, 300).toString('base64'))
    expect(truncated.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      edgeCode: 'EDGE_IMAGE_TRUNCATED',
    })
    expect(truncated.errors?.[0]?.message).toMatch(/^the edge refused the image: EDGE_IMAGE_TRUNCATED: /)
    expect((await submit('line-a', 'not base64!')).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
    const large = Buffer.alloc(201 * 1024, 1).toString('base64')
    expect((await submit('line-a', large)).errors?.[0]?.extensions?.code).toBe('IMAGE_TOO_LARGE')

    const closedPort = await freePort()
    const line = await admin(
      `mutation { createLine(input: { id: "line-down", plantId: "plant-1", name: "Down", edgeUrl: "http://127.0.0.1:${closedPort}" }) { id } }`,
    )
    expect(line.errors).toBeUndefined()
    const [png] = images(1)
    const down = await submit('line-down', png!.toString('base64'))
    expect(down.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retriable: true })
  })
})

describe('a policy stored while Kafka is down is published once it is up', () => {
  let broker: TestBroker | undefined
  let storage: Storage
  let gateway: RunningGateway

  afterAll(async () => {
    await gateway?.close()
    await storage?.close()
    await broker?.close()
  })

  it('keeps the version queued and publishes it when the broker starts', async () => {
    const port = await freePort()
    storage = await openStorage({ driver: 'pglite-memory' })
    gateway = await startGateway(
      loadConfig({ GATEWAY_PORT: '0', GATEWAY_ADMIN_KEY: testAdminKey, KAFKA_BROKERS: `127.0.0.1:${port}` }),
      { log: silent, storage },
    )
    const admin = (query: string, variables?: Record<string, unknown>) =>
      gql(gateway.graphqlUrl, testAdminKey, query, variables)
    expect(
      (await admin('mutation { createPlant(input: { id: "plant-1", name: "One" }) { id } }')).errors,
    ).toBeUndefined()
    expect(
      (await admin('mutation { createLine(input: { id: "line-a", plantId: "plant-1", name: "A" }) { id } }'))
        .errors,
    ).toBeUndefined()
    const stored = await admin(updatePolicyMutation, {
      lineId: 'line-a',
      policy: policyInput(),
      reason: 'while down',
    })
    expect(stored.errors).toBeUndefined()
    expect(stored.data?.updatePolicy.version).toBe(1)
    expect(gateway.publisher!.backlog).toBe(1)

    broker = await startTestBroker(port)
    const published = await readPolicies(broker.brokers, (seen) => seen.length > 0)
    expect(published).toHaveLength(1)
    expect(published[0]).toMatchObject({ lineId: 'line-a', version: 1, reason: 'while down' })
    await waitFor(() => gateway.publisher!.backlog === 0, 30_000, 'the publisher backlog to empty')
  }, 120_000)
})
