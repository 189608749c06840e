import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  InferenceError,
  type InferencePool,
  type InferenceRequest,
  type LoadedModel,
  loadModel,
} from '../../../../../lib/inference/index.ts'
import { createLogger } from '../../../../../lib/log/index.ts'
import type { BatchItem, EscalationV1, VerdictV2 } from '../../../../../lib/messaging/index.ts'
import { createEscalationHandler } from '../../../../../services/cloud/src/consumer/escalation.handler.ts'
import { TakeoverWatch } from '../../../../../services/cloud/src/dedup/takeover-watch.ts'
import { PriceBook } from '../../../../../services/cloud/src/pricing/price-book.ts'
import { PriorityGate } from '../../../../../services/cloud/src/scheduling/priority-gate.ts'

let model: LoadedModel
beforeAll(async () => {
  model = await loadModel(join(import.meta.dirname, '../../../../fixtures/models/tiny-cloud'))
})

let next = 0
function item(overrides: Partial<EscalationV1> = {}, offset = next++): BatchItem<EscalationV1> {
  const id = `00000000-0000-4000-8000-${String(offset).padStart(12, '0')}`
  return {
    message: {
      inspectionId: id,
      plantId: 'plant-1',
      lineId: 'line-a',
      capturedAt: '2026-11-26T18:00:00.000Z',
      escalatedAt: '2026-11-26T18:00:00.000Z',
      deadlineAt: null,
      policyVersion: 1,
      reason: 'confidence',
      question: 'is there a pit?',
      edge: {
        model: { name: 'tiny', sha256: 'd'.repeat(64) },
        budget: 4,
        label: 'ok',
        probabilities: { ok: 0.9, scratch: 0.05, pit: 0.05 },
        patchScores: [],
        latencyMs: 1,
      },
      ladder: [4],
      cloud: { model: 'tiny-cloud', budget: 16 },
      image: {
        encoding: 'raw',
        width: 16,
        height: 16,
        channels: 1,
        colorSpace: 'b-w',
        bytes: Buffer.alloc(256, 9),
      },
      ...overrides,
    },
    context: {
      topic: 'tokenline.escalations.v1',
      partition: 0,
      offset: String(offset),
      key: null,
      timestamp: '0',
      headers: {},
      attempt: 1,
    },
  }
}

/** A fake pool that records the order of requests and answers every image the same way. */
function fakePool(fail?: (req: InferenceRequest) => Error | undefined) {
  const order: string[] = []
  const pool = {
    stats: () => ({ executionProviders: { 'tiny-cloud': 'cpu' } }),
    infer: async (req: InferenceRequest) => {
      order.push(req.question ? 'q' : '-')
      const err = fail?.(req)
      if (err) throw err
      return {
        model: 'tiny-cloud',
        budget: req.budget,
        temperature: 1,
        batchRows: 3,
        runMs: 2,
        images: [
          {
            labelIndex: 1,
            label: 'scratch',
            confidence: 0.6,
            margin: 0.3,
            entropy: 0.9,
            probabilities: Float32Array.from([0.3, 0.6, 0.1]),
            patchScores: new Float32Array(req.budget).fill(0.5),
            answerProbability: 0.2,
          },
        ],
      }
    },
  } as unknown as Pick<InferencePool, 'infer' | 'stats'>
  return { pool, order }
}

function setup(options: { fail?: (req: InferenceRequest) => Error | undefined; answered?: string[] } = {}) {
  const { pool, order } = fakePool(options.fail)
  const published: VerdictV2[][] = []
  const recorded = new Set(options.answered ?? [])
  let syncs = 0
  const handler = createEscalationHandler({
    pool,
    models: new Map([['tiny-cloud', model]]),
    gate: new PriorityGate(1),
    ledger: {
      has: (id) => recorded.has(id),
      record: (id) => recorded.add(id),
      sync: async () => {
        syncs++
      },
    },
    watch: new TakeoverWatch(5000),
    prices: new PriceBook(0.1),
    publish: async (verdicts) => {
      published.push(verdicts)
    },
    logger: createLogger('handler-test', 'silent'),
    instance: 'cloud-test',
  })
  return { handler, published, order, syncs: () => syncs }
}

describe('escalation handler', () => {
  it('answers a batch with one publish, reads the verdict log first on a partition it has not seen', async () => {
    const { handler, published, syncs } = setup()
    const batch = [item(), item(), item()]
    expect(await handler(batch, 1)).toEqual({ failed: [] })
    expect(published).toHaveLength(1)
    expect(published[0]!.map((v) => v.inspectionId)).toEqual(batch.map((b) => b.message.inspectionId))
    expect(published[0]![0]).toMatchObject({ batchSize: 3, executionProvider: 'cpu', instance: 'cloud-test' })
    expect(syncs()).toBe(1)
    const following = [item()]
    await handler(following, 1)
    expect(syncs()).toBe(1)
  })

  it('skips inspections already answered and repeats within the batch', async () => {
    const answered = item()
    const twice = item()
    const { handler, published } = setup({ answered: [answered.message.inspectionId] })
    await handler([answered, twice, { ...twice, context: { ...twice.context, offset: String(next++) } }], 1)
    expect(published[0]!.map((v) => v.inspectionId)).toEqual([twice.message.inspectionId])
  })

  it('hands real escalations to the model before audits of the same batch', async () => {
    const { handler, order } = setup()
    await handler([item({ reason: 'audit', question: null }), item({ reason: 'margin' })], 1)
    expect(order).toEqual(['q', '-'])
  })

  it('dead-letters a case that can never succeed and answers the others', async () => {
    const { handler, published } = setup()
    const result = await handler([item(), item({ cloud: { model: 'elsewhere', budget: 16 } }), item()], 1)
    expect(result?.failed?.map((f) => f.index)).toEqual([1])
    expect(result?.failed?.[0]?.error).toMatchObject({ code: 'CLOUD_MODEL_UNKNOWN' })
    expect(published[0]).toHaveLength(2)
  })

  it('fails the whole batch before publishing when a case fails with a retriable error', async () => {
    let calls = 0
    const { handler, published, syncs } = setup({
      fail: () => (calls++ === 1 ? new InferenceError('INFERENCE_WORKER_CRASHED', 'worker gone') : undefined),
    })
    const batch = [item(), item(), item()]
    await expect(handler(batch, 1)).rejects.toMatchObject({
      code: 'INFERENCE_WORKER_CRASHED',
      retriable: true,
    })
    expect(published).toHaveLength(0)
    const before = syncs()
    await handler(batch, 2)
    expect(syncs()).toBe(before + 1)
    expect(published[0]).toHaveLength(3)
  })
})
