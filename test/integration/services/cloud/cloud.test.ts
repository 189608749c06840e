import { randomUUID } from 'node:crypto'
import type { Kafka } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log/index.ts'
import {
  type DlqV1,
  dlqV1,
  escalationsTopicV1,
  escalationV1,
  MessageProducer,
  policyV2,
  type VerdictV2,
  verdictV2,
} from '../../../../lib/messaging/index.ts'
import { type RunningCloud, startCloud } from '../../../../services/cloud/src/cloud.ts'
import { startTestBroker, type TestBroker } from '../broker/broker-fixture.ts'
import {
  type Collector,
  collect,
  escalation,
  policy,
  testCloudConfig,
  testKafka,
  until,
} from './cloud-fixture.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const logger = createLogger('cloud-test', 'silent')

let broker: TestBroker
let brokers: string[]
let kafka: Kafka
let producer: MessageProducer
let cloud: RunningCloud
let verdicts: Collector<VerdictV2>
let deadLetters: Collector<DlqV1>

beforeAll(async () => {
  broker = await startTestBroker()
  brokers = [broker.broker.bootstrap]
  kafka = testKafka(brokers, logger)
  cloud = await startCloud(testCloudConfig(brokers, { CLOUD_INSTANCE_ID: 'cloud-a' }), { log: logger })
  producer = new MessageProducer(kafka, { logger, brokers })
  await producer.connect()
  await producer.publish(policyV2, 'line-0', policy('line-0', 1, 0.02))
  verdicts = await collect(kafka, brokers, logger, verdictV2)
  deadLetters = await collect(kafka, brokers, logger, dlqV1)
})

afterAll(async () => {
  await verdicts?.close()
  await deadLetters?.close()
  await producer?.disconnect()
  await cloud?.close()
  await broker?.close()
})

const verdictFor = (id: string) => verdicts.messages.filter((v) => v.inspectionId === id)

describe('cloud over the embedded broker', () => {
  it('answers every escalation once with a v2 verdict: model, budget, fused answer, tokens, cost, provider', async () => {
    const cases = Array.from({ length: 40 }, (_, i) => escalation(i))
    await producer.publishBatch(
      escalationV1,
      cases.map((e) => ({ key: e.lineId, message: e })),
    )
    await until(() => cases.every((e) => verdictFor(e.inspectionId).length > 0), 'a verdict for every case')
    for (const e of cases) expect(verdictFor(e.inspectionId)).toHaveLength(1)
    const v = verdictFor(cases[1]!.inspectionId)[0]!
    expect(v.cloud.model.name).toBe('tiny-cloud')
    expect(v.cloud.budget).toBe(64)
    expect(v.requestedBudget).toBe(64)
    expect(v.cloud.patchScores).toHaveLength(64)
    expect(Object.keys(v.cloud.probabilities)).toEqual(['ok', 'scratch', 'pit'])
    expect(v.answer).not.toBeNull()
    expect(v.tokens).toEqual({ vision: 64, question: 4 })
    expect(v.late).toBe(false)
    expect(v.executionProvider).toBe('cpu') // no GPU on this machine: cuda was tried and skipped
    expect(v.instance).toBe('cloud-a')
    expect(v.batchSize).toBeGreaterThanOrEqual(1)
    const priced = cases.filter((e) => e.lineId === 'line-0').map((e) => verdictFor(e.inspectionId)[0]!)
    expect(priced.every((p) => p.cost.priceSource === 'policy' && p.cost.per1kTokens === 0.02)).toBe(true)
    expect(priced[0]!.cost.amount).toBeCloseTo((64 / 1000) * 0.02, 12)
    const unpriced = verdictFor(cases.find((e) => e.lineId === 'line-1')!.inspectionId)[0]!
    expect(unpriced.cost).toEqual({ per1kTokens: 0, amount: 0, priceSource: 'default' })
    expect(verdicts.messages.some((m) => m.batchSize > 1)).toBe(true)
  })

  it('answers a case past its deadline as late instead of dropping it', async () => {
    const e = escalation(101, { deadlineAt: new Date(Date.now() - 1000).toISOString() })
    await producer.publish(escalationV1, e.lineId, e)
    await until(() => verdictFor(e.inspectionId).length > 0, 'the late verdict')
    const v = verdictFor(e.inspectionId)[0]!
    expect(v.late).toBe(true)
    expect(v.deadlineAt).toBe(e.deadlineAt)
    expect(v.cloud.label).toMatch(/^(ok|scratch|pit)$/)
  })

  it('dead-letters a poison record and an undecodable image while the cases around them flow', async () => {
    const before = escalation(200, { lineId: 'line-poison' })
    const after = escalation(201, { lineId: 'line-poison' })
    const badImage = escalation(202, {
      lineId: 'line-poison',
      image: {
        encoding: 'png',
        width: 32,
        height: 32,
        channels: 1,
        colorSpace: 'b-w',
        bytes: Buffer.from('not a png'),
      },
    })
    const unknownModel = escalation(203, {
      lineId: 'line-poison',
      cloud: { model: 'no-such-model', budget: 64 },
    })
    await producer.publish(escalationV1, before.lineId, before)
    const raw = kafka.producer()
    await raw.connect()
    const encoded = escalationV1.encode(before)
    await raw.send({
      topic: escalationsTopicV1,
      messages: [
        { key: 'line-poison', value: Buffer.from('{"this":"is not a frame"}'), headers: encoded.headers },
      ],
    })
    await raw.disconnect()
    await producer.publish(escalationV1, badImage.lineId, badImage)
    await producer.publish(escalationV1, unknownModel.lineId, unknownModel)
    await producer.publish(escalationV1, after.lineId, after)

    await until(() => verdictFor(after.inspectionId).length > 0, 'the case after the poison')
    expect(verdictFor(before.inspectionId)).toHaveLength(1)
    expect(verdictFor(badImage.inspectionId)).toHaveLength(0)
    const mine = () => deadLetters.messages.filter((d) => d.original.key === 'line-poison')
    await until(() => mine().length >= 3, 'three dead letters')
    const codes = mine().map((d) => d.error.code)
    expect(codes).toContain('MESSAGING_MESSAGE_INVALID')
    expect(codes).toContain('CLOUD_IMAGE_INVALID')
    expect(codes).toContain('CLOUD_MODEL_UNKNOWN')
    for (const d of mine()) {
      expect(d.consumerGroup).toBe('tokenline-cloud')
      expect(d.error.retriable).toBe(false)
    }
    expect(
      Buffer.from(mine().find((d) => d.error.code === 'MESSAGING_MESSAGE_INVALID')!.value).toString(),
    ).toBe('{"this":"is not a frame"}')
  })

  it('does not answer again an inspection whose verdict is already in the log (a dead instance published it)', async () => {
    const answered = escalation(300, { lineId: 'line-dup' })
    const fresh = escalation(301, { lineId: 'line-dup' })
    const template = verdictFor(verdicts.messages[0]!.inspectionId)[0]!
    const foreign: VerdictV2 = {
      ...template,
      inspectionId: answered.inspectionId,
      lineId: 'line-dup',
      escalatedAt: answered.escalatedAt,
      deadlineAt: answered.deadlineAt,
      decidedAt: new Date().toISOString(),
      late: false,
      instance: 'cloud-killed',
    }
    await producer.publish(verdictV2, foreign.lineId, foreign)
    // The same inspection twice (an edge outbox may resend) and a fresh one.
    await producer.publishBatch(escalationV1, [
      { key: 'line-dup', message: answered },
      { key: 'line-dup', message: fresh },
      { key: 'line-dup', message: fresh },
    ])
    await until(() => verdictFor(fresh.inspectionId).length > 0, 'the fresh verdict')
    const other = escalation(302, { lineId: 'line-dup' })
    await producer.publish(escalationV1, other.lineId, other)
    await until(() => verdictFor(other.inspectionId).length > 0, 'a later verdict on the same partition')
    expect(verdictFor(answered.inspectionId).map((v) => v.instance)).toEqual(['cloud-killed'])
    expect(verdictFor(fresh.inspectionId)).toHaveLength(1)
  })

  it('serves readiness, status with the execution provider, and the cloud metrics', async () => {
    const base = `http://127.0.0.1:${cloud.port}`
    expect((await fetch(`${base}/readyz`)).status).toBe(200)
    const status = (await (await fetch(`${base}/status`)).json()) as {
      executionProviders: Record<string, string>
    }
    expect(status.executionProviders).toEqual({ 'tiny-cloud': 'cpu' })
    const metrics = await (await fetch(`${base}/metrics`)).text()
    for (const series of [
      'tokenline_cloud_batch_size_images_bucket',
      'tokenline_cloud_queue_seconds_bucket',
      'tokenline_cloud_inference_seconds_bucket',
      'tokenline_cloud_verdicts_total{line="line-0",reason="confidence",late="false"}',
      'tokenline_cloud_dead_letters_total{code="CLOUD_IMAGE_INVALID"} 1',
      'tokenline_cloud_duplicates_skipped_total 2',
      'tokenline_cloud_tokens_total{line="line-0",kind="vision"}',
      'tokenline_cloud_cost_total{line="line-0"}',
      'tokenline_cloud_line_hour_tokens{line="line-0",hour=',
      'tokenline_cloud_consumer_lag{partition="0"}',
      'tokenline_cloud_execution_provider{model="tiny-cloud",provider="cpu"} 1',
      'tokenline_messages_handled_total{topic="tokenline.escalations.v1",group="tokenline-cloud",outcome="dead-lettered"}',
    ])
      expect(metrics).toContain(series)
  })
})

describe('cloud start', () => {
  it('fails to start on a model it cannot find, naming it', async () => {
    const err = await startCloud(testCloudConfig(brokers, { CLOUD_MODELS: `missing-${randomUUID()}` }), {
      log: logger,
    }).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    )
    expect(err?.code).toBe('INFERENCE_MODEL_NOT_FOUND')
  })
})
