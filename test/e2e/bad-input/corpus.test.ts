/**
 * Issue 14, bad input: every case of test/fixtures/bad-input/corpus.json through every entry point
 * it applies to, against the real parts: the embedded broker (kafkajs), PostgreSQL, a real edge
 * (HTTP ingest and its watched folder), a real cloud and a real gateway (GraphQL over HTTP and
 * WebSocket, submitInspection, updatePolicy, its Kafka ingest).
 *
 * Asserted: each case's code; bad Kafka records on tokenline.dlq.v1 with the reason, from every
 * consumer of their topic, while the valid records around them are processed; every accepted image
 * decided end to end and stored by the gateway; EXIF orientation honoured; every process healthy
 * afterwards and a last control image decided end to end. Prints the cases tried per entry point.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { extname, join, resolve } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../lib/log/index.ts'
import { type DlqV1, dlqV1 } from '../../../lib/messaging/index.ts'
import { type Broker, startBroker } from '../../../services/broker/src/broker.ts'
import { loadConfig as loadBrokerConfig } from '../../../services/broker/src/config.ts'
import { type RunningCloud, startCloud } from '../../../services/cloud/src/cloud.ts'
import { loadConfig as loadCloudConfig } from '../../../services/cloud/src/config.ts'
import { loadConfig } from '../../../services/gateway/src/config.ts'
import { type RunningGateway, startGateway } from '../../../services/gateway/src/gateway.ts'
import { createTestDatabase } from '../../integration/lib/db/postgres-test-database.ts'
import { startTestEdge, type TestEdge, waitUntil } from '../../integration/services/edge/edge-fixture.ts'
import { type Json, policyInput, wsOperation } from '../../integration/services/gateway/gateway-client.ts'
import {
  corpusFile,
  corpusFiles,
  graphqlPayload,
  type KafkaTopicAlias,
  kafkaRecord,
  loadCorpus,
  policyWith,
  type RawRecord,
  repeatValue,
} from './corpus.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

const root = resolve(import.meta.dirname, '../../..')
const corpus = loadCorpus()
const adminKey = `tl_corpus_admin_${'c'.repeat(32)}`
const plantId = 'plant-corpus'
const lineId = 'line-corpus'
const log = createLogger('corpus', 'silent')

const topics: Record<KafkaTopicAlias, string> = {
  results: 'tokenline.results.v1',
  escalations: 'tokenline.escalations.v1',
  verdicts: 'tokenline.verdicts.v2',
  policies: 'tokenline.policies.v2',
}
/** Consumer groups of each topic, by alias: a record that fails its contract is dead-lettered by each. */
const consumersOf: Record<KafkaTopicAlias, string[]> = {
  results: ['gateway'],
  escalations: ['cloud', 'gateway'],
  verdicts: ['gateway', 'edge'],
  policies: ['edge', 'cloud'],
}
function groupAlias(group: string): string {
  if (group.startsWith('tokenline-gateway.')) return 'gateway'
  if (group.startsWith('tokenline-edge-')) return 'edge'
  if (group.startsWith('tokenline-cloud')) return 'cloud'
  return group
}

let brokerDir: string
let broker: Broker
let database: Awaited<ReturnType<typeof createTestDatabase>>
let gateway: RunningGateway
let edge: TestEdge
let cloud: RunningCloud
let watchDir: string
let kafka: Kafka

/** Cases tried, per entry point. */
const tried: Record<string, number> = {}
const count = (entry: string) => {
  tried[entry] = (tried[entry] ?? 0) + 1
}
/** Inspection ids of every image an entry point accepted: each must end in the gateway's database. */
const accepted = new Map<string, string>()

async function gql(body: string, key = adminKey): Promise<{ status: number; body: Json }> {
  const res = await fetch(gateway.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body,
  })
  const text = await res.text()
  let parsed: Json
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = { raw: text }
  }
  return { status: res.status, body: parsed }
}

async function ok(query: string, variables: Record<string, unknown> = {}): Promise<Json> {
  const { body } = await gql(JSON.stringify({ query, variables }))
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined()
  return body.data
}

/** The policy that escalates every case (so every accepted image goes through the cloud too). */
const escalateAll = {
  ...policyInput(),
  edge: { model: 'edge-vit-s', budget: 16, ladder: [] },
  escalation: { thresholds: { minConfidence: 1 }, perClass: [], alwaysEscalate: [], auditRate: 0 },
  cloudTokenCapPerHour: null,
  deadlineMs: 600_000,
  question: null,
}

async function edgePolicyVersion(): Promise<number | null> {
  const body = (await (await fetch(`${edge.url}/v1/lines`)).json()) as {
    lines: { lineId: string; policyVersion: number | null }[]
  }
  return body.lines.find((l) => l.lineId === lineId)?.policyVersion ?? null
}

async function setPolicy(policy: Record<string, unknown>, reason: string): Promise<number> {
  const data = await ok(
    'mutation($l: ID!, $p: PolicyInput!, $r: String!) { updatePolicy(lineId: $l, policy: $p, reason: $r) { version } }',
    { l: lineId, p: policy, r: reason },
  )
  const version = data.updatePolicy.version as number
  await waitUntil(
    async () => ((await edgePolicyVersion()) === version ? true : undefined),
    60_000,
    `the edge to hold policy version ${version}`,
  )
  return version
}

beforeAll(async () => {
  brokerDir = mkdtempSync(join(tmpdir(), 'tokenline-corpus-broker-'))
  broker = await startBroker(
    loadBrokerConfig({
      TOKENLINE_DATA_DIR: brokerDir,
      BROKER_PORT: '0',
      BROKER_HTTP_PORT: '0',
      LOG_LEVEL: 'silent',
    }),
    log,
  )
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'corpus', logLevel: logLevel.NOTHING })
  database = await createTestDatabase()
  gateway = await startGateway(
    loadConfig({
      GATEWAY_PORT: '0',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: broker.bootstrap,
      TOKENLINE_MODELS_DIR: join(root, 'models'),
      GATEWAY_ADMIN_KEY: adminKey,
      // The corpus sends ~150 requests in quick bursts; the limit itself is tried by the security tests.
      GATEWAY_RATE_LIMIT_PER_SECOND: '0',
      LOG_LEVEL: 'silent',
    }),
    { log },
  )
  watchDir = mkdtempSync(join(tmpdir(), 'tokenline-corpus-watch-'))
  edge = await startTestEdge([broker.bootstrap], {
    EDGE_LINES: `${plantId}/${lineId}`,
    EDGE_WATCH_DIR: watchDir,
    EDGE_WATCH_INTERVAL_MS: '100',
    // Small enough that the corpus can send a body over it (image.body-over-limit).
    EDGE_MAX_BODY_BYTES: '262144',
  })
  cloud = await startCloud(
    loadCloudConfig({
      KAFKA_BROKERS: broker.bootstrap,
      CLOUD_PORT: '0',
      LOG_LEVEL: 'silent',
      TOKENLINE_MODELS_DIR: join(root, 'models'),
      CLOUD_MODELS: 'cloud-vit-m',
      INFERENCE_EXECUTION_PROVIDERS: 'cpu',
    }),
    { log },
  )
  await ok('mutation($i: CreatePlantInput!) { createPlant(input: $i) { id } }', {
    i: { id: plantId, name: 'Corpus plant' },
  })
  await ok('mutation($i: CreateLineInput!) { createLine(input: $i) { id } }', {
    i: { id: lineId, plantId, name: 'Corpus line', edgeUrl: edge.url },
  })
}, 180_000)

afterAll(async () => {
  await cloud?.close()
  await edge?.cleanup()
  await gateway?.close()
  await broker?.close()
  await database?.drop()
  if (brokerDir) rmSync(brokerDir, { recursive: true, force: true })
  if (watchDir) rmSync(watchDir, { recursive: true, force: true })
}, 60_000)

describe('the bad-input corpus through every entry point (PostgreSQL, embedded broker, edge, cloud, gateway)', () => {
  it('indexes every file of the corpus folder, and every file it names exists', () => {
    const named = new Set(corpus.images.map((c) => c.file))
    for (const c of corpus.kafka) if (c.mutate.valueFile) named.add(c.mutate.valueFile)
    expect([...named].sort()).toEqual(corpusFiles().sort())
    const ids = [...corpus.images, ...corpus.kafka, ...corpus.graphql, ...corpus.policies].map((c) => c.id)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('updatePolicy: refuses each impossible policy with its code and field, stores the valid one', async () => {
    const versionsBefore = (await ok(`{ policyHistory(lineId: "${lineId}") { version } }`)).policyHistory
      .length
    let stored = 0
    for (const c of corpus.policies) {
      count('updatePolicy')
      const { body } = await gql(
        JSON.stringify({
          query:
            'mutation($l: ID!, $p: PolicyInput!, $r: String!) { updatePolicy(lineId: $l, policy: $p, reason: $r) { version } }',
          variables: {
            l: c.lineId ?? lineId,
            p: policyWith(policyInput(), c),
            r: c.reason ?? `corpus ${c.id}`,
          },
        }),
      )
      if (c.expect === 'accepted') {
        expect({ id: c.id, errors: body.errors }).toEqual({ id: c.id, errors: undefined })
        stored++
        continue
      }
      const error = body.errors?.[0]
      expect({ id: c.id, code: error?.extensions?.code }).toEqual({ id: c.id, code: c.expect.code })
      if (c.expect.field) {
        const fields = (error.extensions.fields as { path: string }[]).map((f) => f.path)
        expect({ id: c.id, fields }).toEqual({ id: c.id, fields: [c.expect.field] })
      }
    }
    const versionsAfter = (await ok(`{ policyHistory(lineId: "${lineId}") { version } }`)).policyHistory
      .length
    expect(versionsAfter - versionsBefore).toBe(stored)
    await setPolicy(escalateAll, 'corpus: escalate every case')
  })

  it('edge POST /v1/inspections: answers each image with its status and code', async () => {
    for (const c of corpus.images) {
      count('edge-http')
      const params = new URLSearchParams()
      if (c.line !== null) params.set('line', c.line ?? lineId)
      if (c.question !== undefined) params.set('question', String(repeatValue(c.question)))
      const file = corpusFile(c.file)
      const body = c.padTo ? Buffer.concat([file, Buffer.alloc(c.padTo - file.length)]) : file
      const res = await fetch(`${edge.url}/v1/inspections?${params}`, {
        method: 'POST',
        headers: c.contentType ? { 'content-type': c.contentType } : {},
        body,
      })
      const answer = (await res.json()) as Json
      expect({ id: c.id, status: res.status, code: answer.error?.code }).toEqual({
        id: c.id,
        status: c.expect.edge.status,
        code: c.expect.edge.code,
      })
      if (res.status === 201) accepted.set(`edge-http:${c.id}`, answer.inspectionId)
    }
  })

  it("the edge's watched folder: moves each file to done/ or to failed/ with its code", async () => {
    const dir = join(watchDir, lineId)
    const cases = corpus.images.filter((c) => c.expect.folder !== undefined)
    for (const c of cases) {
      count('edge-folder')
      const ext = c.id === 'image.animated-gif' ? '.gif' : extname(c.file)
      writeFileSync(join(dir, `${c.id}${ext}`), corpusFile(c.file))
    }
    await waitUntil(
      () => (readdirSync(dir).filter((n) => n.startsWith('image.')).length === 0 ? true : undefined),
      120_000,
      'the watched folder to take every file',
    )
    const done = readdirSync(join(dir, 'done'))
    const failed = readdirSync(join(dir, 'failed'))
    for (const c of cases) {
      const name = `${c.id}${c.id === 'image.animated-gif' ? '.gif' : extname(c.file)}`
      if (c.expect.folder === 'done') {
        expect({ id: c.id, done: done.includes(name) }).toEqual({ id: c.id, done: true })
        const answer = JSON.parse(readFileSync(join(dir, 'done', `${name}.json`), 'utf8')) as Json
        accepted.set(`edge-folder:${c.id}`, answer.inspectionId)
      } else {
        const reason = failed.includes(name)
          ? readFileSync(join(dir, 'failed', `${name}.reason.txt`), 'utf8')
          : ''
        expect({ id: c.id, code: reason.split(':')[0] }).toEqual({ id: c.id, code: c.expect.folder })
      }
    }
  })

  it('gateway submitInspection: answers each image with its code, forwarding the edge code', async () => {
    for (const c of corpus.images.filter((i) => i.expect.gateway !== undefined)) {
      count('gateway-submit')
      const { body } = await gql(
        JSON.stringify({
          query: 'mutation($i: SubmitInspectionInput!) { submitInspection(input: $i) { id } }',
          variables: { i: { lineId, imageBase64: corpusFile(c.file).toString('base64') } },
        }),
      )
      const want = c.expect.gateway!
      if (want === 'accepted') {
        expect({ id: c.id, errors: body.errors }).toEqual({ id: c.id, errors: undefined })
        accepted.set(`gateway-submit:${c.id}`, body.data.submitInspection.id)
      } else {
        const ext = body.errors?.[0]?.extensions ?? {}
        expect({ id: c.id, code: ext.code, edgeCode: ext.edgeCode }).toEqual({
          id: c.id,
          code: want.code,
          edgeCode: want.edgeCode,
        })
      }
    }
  })

  it('decides every accepted image end to end: each one lands in the gateway with a cloud verdict', async () => {
    const ids = [...accepted.values()]
    const expected = corpus.images.filter((c) => c.expect.edge.status === 201).length
    expect(accepted.size).toBe(expected * 3)
    await waitUntil(
      async () => {
        const data = await ok(
          'query($f: InspectionFilter) { inspections(filter: $f, first: 100) { edges { node { id verdict decidedBy } } } }',
          {
            f: { lineId },
          },
        )
        const settled = new Set(
          data.inspections.edges
            .map((e: Json) => e.node)
            .filter((n: Json) => n.decidedBy === 'CLOUD' && n.verdict !== null)
            .map((n: Json) => n.id),
        )
        return ids.every((id) => settled.has(id)) ? true : undefined
      },
      180_000,
      `all ${ids.length} accepted images to be settled by the cloud in the gateway`,
    )
  })

  it('honours EXIF orientation: the rotated JPEG reaches the cloud upright', async () => {
    const thumbnail = async (id: string) => {
      const data = await ok('query($id: ID!) { inspection(id: $id) { thumbnail } }', { id })
      const text = String(data.inspection.thumbnail).replace(/^data:image\/png;base64,/, '')
      const { data: pixels, info } = await sharp(Buffer.from(text, 'base64'))
        .greyscale()
        .raw()
        .toBuffer({ resolveWithObject: true })
      return { pixels, info }
    }
    const rotated = await thumbnail(accepted.get('edge-http:image.exif-rotated')!)
    const upright = await thumbnail(accepted.get('edge-http:image.exif-upright')!)
    const stripped = await thumbnail(accepted.get('edge-http:image.exif-stripped')!)
    const meanAbs = (a: Buffer, b: Buffer) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length
    expect(rotated.info.width).toBe(upright.info.width)
    // Dark left half, bright right half when upright: the halves differ by about 170 grey levels.
    const upDiff = meanAbs(rotated.pixels, upright.pixels)
    const sideways = meanAbs(stripped.pixels, upright.pixels)
    expect(upDiff).toBeLessThan(12)
    expect(sideways).toBeGreaterThan(60)
  })

  it('Kafka: dead-letters every bad record with its reason, from every consumer of its topic; valid records around them flow', async () => {
    // Templates: one real record of each topic, from the traffic above.
    const templates = new Map<KafkaTopicAlias, RawRecord>()
    const reader = kafka.consumer({ groupId: `corpus-templates-${Date.now()}`, maxWaitTimeInMs: 100 })
    await reader.connect()
    await reader.subscribe({ topics: Object.values(topics), fromBeginning: true })
    await reader.run({
      eachMessage: async ({ topic, message }) => {
        const alias = (Object.keys(topics) as KafkaTopicAlias[]).find((a) => topics[a] === topic)!
        if (templates.has(alias) || message.value === null) return
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
        )
        templates.set(alias, { value: message.value, headers })
      },
    })
    await waitUntil(() => (templates.size === 4 ? true : undefined), 30_000, 'a record of each topic')
    await reader.disconnect()

    const producer = kafka.producer()
    await producer.connect()
    const send = async (alias: KafkaTopicAlias, key: string, r: RawRecord) =>
      producer.send({ topic: topics[alias], messages: [{ key, value: r.value, headers: r.headers }] })
    /** A valid result and its verdict (the gateway stores both), a valid escalation (the cloud answers it). */
    const controls = async (tag: string) => {
      const result = kafkaRecord(templates.get('results')!, undefined, { lineId, plantId })
      await send('results', `corpus.control.${tag}`, result)
      const verdict = kafkaRecord(templates.get('verdicts')!, undefined, { lineId, plantId })
      verdict.value = Buffer.from(
        JSON.stringify({ ...JSON.parse(verdict.value!.toString()), inspectionId: result.inspectionId }),
      )
      await send('verdicts', `corpus.control.${tag}`, verdict)
      const escalation = kafkaRecord(templates.get('escalations')!, undefined, { lineId, plantId })
      await send('escalations', `corpus.control.${tag}`, escalation)
      return [result.inspectionId!, escalation.inspectionId!]
    }
    const before = await controls('before')
    const refused: string[] = []
    const stored: string[] = []
    for (const c of corpus.kafka) {
      count(`kafka-${c.topic}`)
      const record = kafkaRecord(templates.get(c.topic)!, c.mutate, { lineId, plantId })
      const sent = await send(c.topic, `corpus.${c.id}`, record).then(
        () => undefined,
        (err: unknown) => err as { type?: string },
      )
      if ('stored' in c.expect) stored.push(record.inspectionId!)
      if ('produce' in c.expect) {
        expect({ id: c.id, refused: sent?.type }).toEqual({ id: c.id, refused: 'MESSAGE_TOO_LARGE' })
        refused.push(c.id)
      } else {
        expect({ id: c.id, sent: sent === undefined }).toEqual({ id: c.id, sent: true })
      }
    }
    const after = await controls('after')
    await producer.disconnect()

    // Every control arrives: results with their verdicts, escalations answered by the cloud.
    await waitUntil(
      async () => {
        const rows = await Promise.all(
          [...before, ...after].map(
            async (id) =>
              (await ok('query($id: ID!) { inspection(id: $id) { decidedBy } }', { id })).inspection,
          ),
        )
        const kept = await Promise.all(
          stored.map(
            async (id) => (await ok('query($id: ID!) { inspection(id: $id) { id } }', { id })).inspection,
          ),
        )
        return rows.every((r) => r?.decidedBy === 'CLOUD') && kept.every((r) => r !== null) ? true : undefined
      },
      120_000,
      'the valid Kafka records before and after the bad ones to be stored with their verdicts',
    )
    // A policy published after the bad policy records still reaches the edge.
    await setPolicy(
      { ...escalateAll, costPer1kTokens: { edge: 0, cloud: 0.03 } },
      'corpus: after bad policy records',
    )

    const expected = corpus.kafka.filter((c) => 'dlq' in c.expect)
    const dead = new Map<string, DlqV1[]>()
    const dlqReader = kafka.consumer({ groupId: `corpus-dlq-${Date.now()}`, maxWaitTimeInMs: 100 })
    await dlqReader.connect()
    await dlqReader.subscribe({ topic: dlqV1.topic, fromBeginning: true })
    await dlqReader.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? ''
        dead.set(key, [...(dead.get(key) ?? []), dlqV1.decode(message.value, message.headers)])
      },
    })
    const groupsOf = (id: string) =>
      new Set((dead.get(`corpus.${id}`) ?? []).map((d) => groupAlias(d.consumerGroup)))
    /** The code each consumer group (by alias) must dead-letter the case with. */
    const codesByGroup = (c: (typeof expected)[number]): Record<string, string> => {
      if (!('dlq' in c.expect)) return {}
      const { dlq, groups } = c.expect
      if (typeof dlq !== 'string') return dlq
      return Object.fromEntries((groups ?? consumersOf[c.topic]).map((g) => [g, dlq]))
    }
    const wanted = (c: (typeof expected)[number]) => Object.keys(codesByGroup(c))
    try {
      await waitUntil(
        () => (expected.every((c) => wanted(c).every((g) => groupsOf(c.id).has(g))) ? true : undefined),
        60_000,
        'a dead letter of every bad record from every consumer of its topic',
      ).catch((err: unknown) => {
        const missing = expected
          .filter((c) => !wanted(c).every((g) => groupsOf(c.id).has(g)))
          .map((c) => `${c.id}: ${[...groupsOf(c.id)].join(',') || 'none'}`)
        throw new Error(`${(err as Error).message}; missing: ${missing.join('; ')}`)
      })
    } finally {
      await dlqReader.disconnect()
    }
    for (const c of expected) {
      const letters = dead.get(`corpus.${c.id}`)!
      const codes = Object.fromEntries(
        [...groupsOf(c.id)].map((g) => [
          g,
          [
            ...new Set(letters.filter((d) => groupAlias(d.consumerGroup) === g).map((d) => d.error.code)),
          ].join(),
        ]),
      )
      expect({ id: c.id, codes }).toEqual({ id: c.id, codes: codesByGroup(c) })
      expect({ id: c.id, groups: [...groupsOf(c.id)].sort() }).toEqual({
        id: c.id,
        groups: [...wanted(c)].sort(),
      })
      for (const d of letters) {
        expect(d.original.topic).toBe(topics[c.topic])
        expect(d.error.message.length).toBeGreaterThan(0)
        expect(d.error.retriable).toBe(false)
      }
    }
    // The control keys never went to the dead-letter topic.
    expect([...dead.keys()].filter((k) => k.startsWith('corpus.control'))).toEqual([])
    expect(refused.every((id) => !dead.has(`corpus.${id}`))).toBe(true)
    const storedIds = corpus.kafka.filter((c) => 'stored' in c.expect).map((c) => c.id)
    expect(storedIds.filter((id) => dead.has(`corpus.${id}`))).toEqual([])
  })

  it('GraphQL over HTTP and WebSocket: refuses each abusive request with its code', async () => {
    for (const c of corpus.graphql) {
      count('graphql-http')
      const payload = c.rawBody === undefined ? graphqlPayload(c) : undefined
      const { status, body } = await gql(c.rawBody ?? JSON.stringify(payload))
      expect({ id: c.id, status, code: body.errors?.[0]?.extensions?.code }).toEqual({
        id: c.id,
        status: c.expect.http.status,
        code: c.expect.http.code,
      })
      if (c.expect.ws !== undefined && payload) {
        count('graphql-ws')
        expect({ id: c.id, ws: await wsOperation(gateway.graphqlUrl, adminKey, payload) }).toEqual({
          id: c.id,
          ws: c.expect.ws,
        })
      }
    }
  })

  it('leaves every process healthy, and decides a control image end to end afterwards', async () => {
    const cloudUrl = `http://127.0.0.1:${cloud.port}`
    const gatewayUrl = gateway.graphqlUrl.replace(/\/graphql$/, '')
    const brokerUrl = `http://127.0.0.1:${broker.httpPort}`
    for (const base of [edge.url, cloudUrl, gatewayUrl, brokerUrl]) {
      for (const path of ['/healthz', '/readyz']) {
        const res = await fetch(`${base}${path}`)
        expect({ url: `${base}${path}`, status: res.status }).toEqual({ url: `${base}${path}`, status: 200 })
      }
    }
    const { body } = await gql(
      JSON.stringify({
        query: 'mutation($i: SubmitInspectionInput!) { submitInspection(input: $i) { id disposition } }',
        variables: { i: { lineId, imageBase64: corpusFile('images/valid.png').toString('base64') } },
      }),
    )
    expect(body.errors).toBeUndefined()
    const id = body.data.submitInspection.id as string
    await waitUntil(
      async () =>
        (await ok('query($id: ID!) { inspection(id: $id) { decidedBy } }', { id })).inspection?.decidedBy ===
        'CLOUD'
          ? true
          : undefined,
      120_000,
      'the control image after the corpus to be settled in the gateway',
    )
    const total = Object.values(tried).reduce((s, n) => s + n, 0)
    const line = `bad-input corpus: ${Object.entries(tried)
      .map(([entry, n]) => `${entry} ${n}`)
      .join(', ')}; total ${total} cases tried`
    console.log(line)
    expect(total).toBeGreaterThan(150)
  })
})
