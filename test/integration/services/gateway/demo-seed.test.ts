import { Kafka, logLevel } from 'kafkajs'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStorage, type Storage } from '../../../../lib/db/index.ts'
import { type PolicyV2, policyV2 } from '../../../../lib/messaging/index.ts'
import { loadConfig } from '../../../../services/gateway/src/config.ts'
import { type RunningGateway, startGateway } from '../../../../services/gateway/src/gateway.ts'
import { startTestBroker, type TestBroker } from '../../lib/messaging/embedded-broker.ts'
import { gql, testAdminKey } from './gateway-client.ts'

let broker: TestBroker
let storage: Storage
let gateway: RunningGateway

beforeAll(async () => {
  broker = await startTestBroker()
  storage = await openStorage({ driver: 'pglite-memory' })
  const config = loadConfig({
    GATEWAY_PORT: '0',
    GATEWAY_DEMO: 'true',
    KAFKA_BROKERS: broker.brokers.join(','),
    LOG_LEVEL: 'silent',
    GATEWAY_ADMIN_KEY: testAdminKey,
  })
  gateway = await startGateway(config, { log: pino({ level: 'silent' }), storage })
}, 60_000)

afterAll(async () => {
  await gateway?.close()
  await storage?.close()
  await broker?.close()
})

describe('gateway first start with GATEWAY_DEMO', () => {
  it('creates the demo plant, line and a valid first policy from the models, and publishes it on policies v2', async () => {
    expect((await storage.lines.list()).map((l) => [l.id, l.plantId])).toEqual([['demo-line', 'demo-plant']])
    const row = await storage.policies.current('demo-line')
    expect(row).toMatchObject({ version: 1, author: 'tokenline (first start)' })
    expect(row!.body).toMatchObject({
      edge: { model: 'edge-vit-s', budget: 16, ladder: [64] },
      cloud: { model: 'cloud-vit-m' },
      egress: { mode: 'whole' },
    })

    const kafka = new Kafka({
      brokers: broker.brokers,
      clientId: 'demo-seed-test',
      logLevel: logLevel.NOTHING,
    })
    const consumer = kafka.consumer({ groupId: `demo-seed-${Date.now()}`, maxWaitTimeInMs: 100 })
    const seen: PolicyV2[] = []
    await consumer.connect()
    await consumer.subscribe({ topics: [policyV2.topic], fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(policyV2.decode(message.value, message.headers))
      },
    })
    const deadline = Date.now() + 30_000
    while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    await consumer.disconnect()
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({
      plantId: 'demo-plant',
      lineId: 'demo-line',
      version: 1,
      rolledBackTo: null,
    })
  })

  it('serves the demo policy to the admin key', async () => {
    const { data, errors } = await gql(
      gateway.graphqlUrl,
      testAdminKey,
      '{ line(id: "demo-line") { policy { version author edge { model budget ladder } warnings } } }',
    )
    expect(errors).toBeUndefined()
    expect(data?.line.policy).toMatchObject({
      version: 1,
      author: 'tokenline (first start)',
      edge: { model: 'edge-vit-s', budget: 16, ladder: [64] },
    })
  })

  it('does nothing on a later start when plants exist', async () => {
    const { seedDemo } = await import('../../../../services/gateway/src/policy/demo-seed.ts')
    expect(await seedDemo(storage, pino({ level: 'silent' }))).toBe(false)
    expect(await storage.policies.history('demo-line')).toHaveLength(1)
  })
})
