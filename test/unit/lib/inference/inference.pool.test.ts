import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InferencePool } from '../../../../lib/inference/inference.pool.ts'
import { type LoadedModel, loadModel } from '../../../../lib/inference/model.loader.ts'

const fixtures = join(import.meta.dirname, '../../../fixtures/models')

interface Expected {
  budget: number
  batch: number
  tokens: number[]
  probabilities: number[]
  patchScores: number[]
  question?: number[]
  answerProbability?: number[]
  tolerance: number
}

async function expected(name: string): Promise<Expected> {
  return JSON.parse(await readFile(join(fixtures, name, 'expected.json'), 'utf8')) as Expected
}

function image(seed: number, budget: number, width = 16): Float32Array {
  const t = new Float32Array(budget * width)
  for (let i = 0; i < t.length; i++) t[i] = Math.sin(seed * 1.7 + i * 0.31) + (seed % 3) * 0.5
  return t
}

let edge: LoadedModel
let cloud: LoadedModel
let pool: InferencePool

beforeAll(async () => {
  edge = await loadModel(join(fixtures, 'tiny'))
  cloud = await loadModel(join(fixtures, 'tiny-cloud'))
  pool = await InferencePool.start([edge, cloud], { workers: 2, maxBatch: 16, maxDelayMs: 20 })
})
afterAll(async () => {
  await pool.close()
})

describe('InferencePool outputs', () => {
  it('matches the numpy reference of the edge fixture (calibrated probabilities, patch scores)', async () => {
    const exp = await expected('tiny')
    const r = await pool.infer({ model: 'tiny', budget: exp.budget, tokens: Float32Array.from(exp.tokens) })
    expect(r.images).toHaveLength(exp.batch)
    expect(r.temperature).toBe(1.25)
    const probs = r.images.flatMap((i) => [...i.probabilities])
    const patches = r.images.flatMap((i) => [...i.patchScores!])
    for (const [i, p] of probs.entries())
      expect(Math.abs(p - exp.probabilities[i]!)).toBeLessThan(exp.tolerance)
    for (const [i, p] of patches.entries())
      expect(Math.abs(p - exp.patchScores[i]!)).toBeLessThan(exp.tolerance)
    for (const img of r.images) {
      const sorted = [...img.probabilities].sort((a, b) => b - a)
      expect(img.confidence).toBe(sorted[0])
      expect(img.margin).toBeCloseTo(sorted[0]! - sorted[1]!, 6)
      expect(img.label).toBe(edge.manifest.labels[img.labelIndex])
      expect(img.answerProbability).toBeUndefined()
    }
  })

  it('fuses a per-row question and returns the answer probability of the cloud fixture', async () => {
    const exp = await expected('tiny-cloud')
    const r = await pool.infer({
      model: 'tiny-cloud',
      budget: exp.budget,
      tokens: Float32Array.from(exp.tokens),
      question: BigInt64Array.from(exp.question!.map(BigInt)),
    })
    const probs = r.images.flatMap((i) => [...i.probabilities])
    for (const [i, p] of probs.entries())
      expect(Math.abs(p - exp.probabilities[i]!)).toBeLessThan(exp.tolerance)
    for (const [i, img] of r.images.entries())
      expect(Math.abs(img.answerProbability! - exp.answerProbability![i]!)).toBeLessThan(exp.tolerance)
  })

  it('applies a [Q] question to every row and changes the answer with the question', async () => {
    const tokens = new Float32Array([...image(1, 16), ...image(2, 16)])
    const q1 = BigInt64Array.from([2n, 3n, 4n, 5n, 9n, 0n])
    const q2 = BigInt64Array.from([7n, 8n, 9n, 0n, 0n, 0n])
    const a = await pool.infer({ model: 'tiny-cloud', budget: 16, tokens, question: q1 })
    const b = await pool.infer({ model: 'tiny-cloud', budget: 16, tokens, question: q2 })
    const both = await pool.infer({
      model: 'tiny-cloud',
      budget: 16,
      tokens: tokens.subarray(0, 256),
      question: q1,
    })
    expect(a.images[0]!.answerProbability).toBeCloseTo(both.images[0]!.answerProbability!, 6)
    expect(a.images[0]!.answerProbability).not.toBeCloseTo(b.images[0]!.answerProbability!, 4)
  })
})

describe('InferencePool batching', () => {
  it('concatenates requests that arrive together and splits the results back per request', async () => {
    const solo = await Promise.all(
      Array.from({ length: 10 }, (_, i) => pool.infer({ model: 'tiny', budget: 16, tokens: image(i, 16) })),
    )
    const rows = solo.map((r) => r.batchRows)
    expect(Math.max(...rows)).toBeGreaterThan(1)
    const alone: number[][] = []
    for (let i = 0; i < 10; i++) {
      const r = await pool.infer({ model: 'tiny', budget: 16, tokens: image(i, 16) })
      alone.push([...r.images[0]!.probabilities])
    }
    for (const [i, r] of solo.entries()) {
      expect(r.images).toHaveLength(1)
      for (const [j, p] of r.images[0]!.probabilities.entries()) expect(p).toBeCloseTo(alone[i]![j]!, 6)
    }
  })

  it('never exceeds maxBatch and never mixes budgets', async () => {
    const reqs = Array.from({ length: 40 }, (_, i) => {
      const budget = i % 2 === 0 ? 16 : 64
      return pool.infer({ model: 'tiny', budget, tokens: image(i, budget) })
    })
    const results = await Promise.all(reqs)
    for (const r of results) {
      expect(r.batchRows).toBeLessThanOrEqual(16)
      expect(r.images[0]!.patchScores).toHaveLength(r.budget)
    }
    expect(results.filter((r) => r.budget === 64)).toHaveLength(20)
  })

  it('gathers requests into a bigger batch while the only worker is busy', async () => {
    const p = await InferencePool.start([edge], { workers: 1, maxBatch: 16, maxDelayMs: 0 })
    try {
      const busy = p.infer({ model: 'tiny', budget: 16, tokens: new Float32Array(16 * 16 * 16) })
      const singles = Array.from({ length: 10 }, (_, i) =>
        p.infer({ model: 'tiny', budget: 16, tokens: image(i, 16) }),
      )
      expect((await busy).batchRows).toBe(16)
      expect((await Promise.all(singles)).map((r) => r.batchRows)).toEqual(Array(10).fill(10))
    } finally {
      await p.close()
    }
  })

  it('hands the buffer over without a copy when asked to', async () => {
    const tokens = image(3, 16)
    const copy = tokens.slice()
    const r = await pool.infer({ model: 'tiny', budget: 16, tokens, transfer: true })
    expect(tokens.byteLength).toBe(0)
    const again = await pool.infer({ model: 'tiny', budget: 16, tokens: copy })
    expect(r.images[0]!.confidence).toBeCloseTo(again.images[0]!.confidence, 6)
  })
})

describe('InferencePool input errors', () => {
  it('names the problem with a code', async () => {
    await expect(pool.infer({ model: 'tiny', budget: 256, tokens: image(0, 256) })).rejects.toMatchObject({
      code: 'INFERENCE_BUDGET_UNSUPPORTED',
    })
    await expect(
      pool.infer({ model: 'tiny', budget: 16, tokens: new Float32Array(17) }),
    ).rejects.toMatchObject({
      code: 'INFERENCE_INPUT_INVALID',
    })
    await expect(
      pool.infer({ model: 'tiny', budget: 16, tokens: image(0, 16), question: new BigInt64Array(6) }),
    ).rejects.toMatchObject({ code: 'INFERENCE_QUESTION_UNSUPPORTED' })
    await expect(
      pool.infer({ model: 'tiny-cloud', budget: 16, tokens: image(0, 16), question: new BigInt64Array(5) }),
    ).rejects.toMatchObject({ code: 'INFERENCE_INPUT_INVALID' })
    await expect(pool.infer({ model: 'nope', budget: 16, tokens: image(0, 16) })).rejects.toMatchObject({
      code: 'INFERENCE_MODEL_NOT_FOUND',
    })
  })

  it('refuses at start a manifest whose io names are not in the ONNX graph', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tokenline-io-'))
    try {
      await cp(join(fixtures, 'tiny'), dir, { recursive: true })
      const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))
      m.io.logits = 'class_scores'
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(m))
      await expect(InferencePool.start([await loadModel(dir)])).rejects.toMatchObject({
        code: 'INFERENCE_MODEL_IO_MISMATCH',
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('InferencePool failures and shutdown', () => {
  it('fails in-flight requests with a retriable error when a worker dies, then replaces it', async () => {
    const p = await InferencePool.start([edge], { workers: 1, maxBatch: 4, maxDelayMs: 0 })
    try {
      const inFlight = p.infer({ model: 'tiny', budget: 64, tokens: new Float32Array(64 * 16 * 4) })
      await p.killWorker(0)
      await expect(inFlight).rejects.toMatchObject({ code: 'INFERENCE_WORKER_CRASHED', retriable: true })
      const after = await p.infer({ model: 'tiny', budget: 16, tokens: image(1, 16) })
      expect(after.images).toHaveLength(1)
      expect(p.stats().workerRestarts).toBe(1)
    } finally {
      await p.close()
    }
  })

  it('finishes queued work on close and refuses new work after it', async () => {
    const p = await InferencePool.start([edge], { workers: 1, maxBatch: 8, maxDelayMs: 50 })
    const queued = Array.from({ length: 20 }, (_, i) =>
      p.infer({ model: 'tiny', budget: 16, tokens: image(i, 16) }),
    )
    await Promise.all([p.close(), p.close()])
    const done = await Promise.all(queued)
    expect(done).toHaveLength(20)
    await expect(p.infer({ model: 'tiny', budget: 16, tokens: image(0, 16) })).rejects.toMatchObject({
      code: 'INFERENCE_POOL_CLOSED',
      retriable: true,
    })
  })
})
