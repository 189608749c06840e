/**
 * Golden test of the shipped models: every folder under models/ with a manifest must carry a
 * golden.json (training/golden.py: PyTorch outputs on the committed images in
 * test/fixtures/vision/golden), and the serving path — sharp decode and token grid (lib/vision),
 * the inference pool, onnxruntime-node, temperature and sigmoid post-processing — must reproduce
 * them within the file's tolerance (1e-4 on probabilities; PyTorch and onnxruntime differ by ~5e-6).
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InferencePool } from '../../../lib/inference/inference.pool.ts'
import { type LoadedModel, loadModel } from '../../../lib/inference/model.loader.ts'
import { tokenizeQuestion } from '../../../lib/vision/question.ts'
import { specFromManifest } from '../../../lib/vision/spec.ts'
import { normaliseTokens, tokenizeImageU8 } from '../../../lib/vision/token-grid.ts'

const root = join(import.meta.dirname, '../../..')

interface GoldenCase {
  image: string
  budget: number
  question: string | null
  logits: number[]
  patchLogits: number[]
  answerLogit?: number
}
interface Golden {
  model: string
  sha256: string
  images: string
  tolerance: number
  cases: GoldenCase[]
}

const modelDirs = (await readdir(join(root, 'models'), { withFileTypes: true }))
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))
function softmax(logits: number[], t: number): number[] {
  const z = logits.map((v) => v / t)
  const m = Math.max(...z)
  const e = z.map((v) => Math.exp(v - m))
  const s = e.reduce((a, b) => a + b, 0)
  return e.map((v) => v / s)
}

it('ships at least the edge and the cloud model', () => {
  expect(modelDirs.length).toBeGreaterThanOrEqual(2)
})

describe.each(modelDirs)('models/%s', (name) => {
  let model: LoadedModel
  let golden: Golden
  let pool: InferencePool

  beforeAll(async () => {
    model = await loadModel(join(root, 'models', name))
    golden = JSON.parse(await readFile(join(root, 'models', name, 'golden.json'), 'utf8')) as Golden
    pool = await InferencePool.start([model], {
      workers: 1,
      intraOpNumThreads: 1,
      maxBatch: 8,
      maxDelayMs: 0,
    })
  })
  afterAll(async () => {
    await pool?.close()
  })

  it('has golden outputs for this very model file at every budget it lists', () => {
    expect(golden.model).toBe(model.manifest.name)
    expect(golden.sha256).toBe(model.manifest.sha256)
    expect([...new Set(golden.cases.map((c) => c.budget))].sort((a, b) => a - b)).toEqual(
      [...model.manifest.budgets].sort((a, b) => a - b),
    )
    if (model.manifest.io.question) expect(golden.cases.some((c) => c.question !== null)).toBe(true)
  })

  it('reproduces the PyTorch outputs through the serving path', async () => {
    const m = model.manifest
    let worst = 0
    for (const c of golden.cases) {
      const spec = specFromManifest(m, c.budget)
      const grid = await tokenizeImageU8(await readFile(join(root, golden.images, c.image)), spec)
      const tokens = normaliseTokens(grid.tokens, spec)
      const question =
        c.question !== null && m.question
          ? tokenizeQuestion(c.question, m.question.vocab, m.question.maxLength)
          : null
      const r = await pool.infer({
        model: m.name,
        budget: c.budget,
        tokens,
        ...(question ? { question } : {}),
      })
      const img = r.images[0]!
      const t = m.temperatures?.[String(c.budget)] ?? 1
      const where = `${c.image} N=${c.budget} question=${JSON.stringify(c.question)}`
      const probs = softmax(c.logits, t)
      probs.forEach((p, k) => {
        const d = Math.abs(p - img.probabilities[k]!)
        worst = Math.max(worst, d)
        expect(d, `${where} probability ${k}`).toBeLessThan(golden.tolerance)
      })
      expect(img.patchScores).toHaveLength(c.budget)
      c.patchLogits.forEach((l, k) => {
        const d = Math.abs(sigmoid(l) - img.patchScores![k]!)
        worst = Math.max(worst, d)
        expect(d, `${where} patch ${k}`).toBeLessThan(golden.tolerance)
      })
      if (c.answerLogit !== undefined) {
        const d = Math.abs(sigmoid(c.answerLogit) - img.answerProbability!)
        worst = Math.max(worst, d)
        expect(d, `${where} answer`).toBeLessThan(golden.tolerance)
      }
    }
    expect(worst).toBeLessThan(golden.tolerance)
  })
})
