import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestBroker, type TestBroker } from '../../lib/messaging/embedded-broker.ts'
import {
  get,
  images,
  post,
  startTestEdge,
  type TestEdge,
  testKafka,
  testPolicy,
  verdictFor,
  waitUntil,
} from './edge-fixture.ts'

let broker: TestBroker
let nodeA: TestEdge
let nodeB: TestEdge
let kafka: Awaited<ReturnType<typeof testKafka>>

beforeAll(async () => {
  broker = await startTestBroker()
  nodeA = await startTestEdge(broker.brokers, {
    EDGE_NODE_ID: 'node-a',
    EDGE_LINES: 'plant-1/line-a',
    EDGE_IMAGE_RETENTION_MS: '5000',
  })
  nodeB = await startTestEdge(broker.brokers, { EDGE_NODE_ID: 'node-b', EDGE_LINES: 'plant-1/line-b' })
  kafka = await testKafka(broker.brokers)
}, 60_000)

afterAll(async () => {
  await kafka?.close()
  await nodeA?.cleanup()
  await nodeB?.cleanup()
  await broker?.close()
})

const escalateAll = { thresholds: { minConfidence: 1 }, perClass: {}, alwaysEscalate: [], auditRate: 0 }

describe('two edge nodes of one plant', () => {
  it('each takes its own lines and policies, settles only its own cases, and deletes kept images after the retention', async () => {
    await kafka.publishPolicy(testPolicy({ lineId: 'line-a', version: 1, escalation: escalateAll }))
    await kafka.publishPolicy(testPolicy({ lineId: 'line-b', version: 7, escalation: escalateAll }))
    await waitUntil(
      () => nodeA.policies.get('line-a') && nodeB.policies.get('line-b'),
      20_000,
      'both policies',
    )
    expect(nodeA.policies.get('line-b')).toBeUndefined()
    expect((await post(nodeA, images(1)[0]!, { line: 'line-b' })).status).toBe(404)

    const [png] = images(1, 7_500_000)
    const a = (await post(nodeA, png!, { line: 'line-a' })).body
    const b = (await post(nodeB, png!, { line: 'line-b' })).body
    expect(a).toMatchObject({ nodeId: 'node-a', status: 'pending', policyVersion: 1 })
    expect(b).toMatchObject({ nodeId: 'node-b', status: 'pending', policyVersion: 7 })
    const kept = (await nodeA.storage.edgeInspections.get(a.inspectionId as string))!.imagePath!
    const keptB = (await nodeB.storage.edgeInspections.get(b.inspectionId as string))!.imagePath!
    expect(existsSync(kept)).toBe(true)
    const ea = await waitUntil(
      () => kafka.escalations.get(a.inspectionId as string)?.[0],
      20_000,
      'node-a escalation',
    )
    const eb = await waitUntil(
      () => kafka.escalations.get(b.inspectionId as string)?.[0],
      20_000,
      'node-b escalation',
    )
    await kafka.publishVerdict(verdictFor(ea, 'pit'))
    await kafka.publishVerdict(verdictFor(eb, 'stain'))
    await waitUntil(
      async () =>
        (await get(`${nodeA.url}/v1/inspections/${a.inspectionId}`)).body.status === 'settled' || undefined,
      20_000,
      'node-a settled',
    )
    await waitUntil(
      async () =>
        (await get(`${nodeB.url}/v1/inspections/${b.inspectionId}`)).body.status === 'settled' || undefined,
      20_000,
      'node-b settled',
    )
    expect((await get(`${nodeA.url}/v1/inspections/${a.inspectionId}`)).body).toMatchObject({
      verdict: 'pit',
    })
    expect((await get(`${nodeB.url}/v1/inspections/${b.inspectionId}`)).body).toMatchObject({
      verdict: 'stain',
    })
    // Each node saw both verdicts and settled one.
    const settled = (text: string) =>
      Number(/tokenline_edge_verdicts_settled_total\{[^}]*\} (\d+)/.exec(text)?.[1] ?? 0)
    expect(settled(await (await fetch(`${nodeA.url}/metrics`)).text())).toBe(1)
    expect(settled(await (await fetch(`${nodeB.url}/metrics`)).text())).toBe(1)
    expect((await get(`${nodeA.url}/v1/inspections/${b.inspectionId}`)).status).toBe(404)

    await waitUntil(
      async () =>
        (await nodeA.storage.edgeInspections.get(a.inspectionId as string))!.imagePath === null || undefined,
      10_000,
      'the retention sweep',
    )
    expect(existsSync(kept)).toBe(false)
    expect(existsSync(keptB)).toBe(true)
  })
})
