/**
 * Checks an exported model against PyTorch: runs the golden cases that training/train.py wrote
 * (`<work>/golden.json`) through onnxruntime-node and reports the largest absolute difference per
 * output. Golden format (JSON, all tensors flattened row-major):
 *   { tokenDim, cases: [{ budget: N, batch: B, tokens: float[B·N·tokenDim], positions: float[N·2],
 *     question?: int[B·Q], questionLength?: Q, outputs: { logits, patch_logits, answer_logit? } }] }
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { loadModel, parseManifest } from '../lib/inference/index.ts'

type GoldenCase = {
  budget: number
  batch: number
  tokens: number[]
  positions: number[]
  question?: number[]
  questionLength?: number
  outputs: Record<string, number[]>
}

export type OnnxCheck = {
  /** Largest |onnx − torch| over every output element of every case. */
  maxAbsDiff: number
  perOutput: Record<string, number>
  budgets: number[]
  runtime: string
}

/** Runs the golden cases through onnxruntime-node (1 intra-op thread) and compares. */
export async function checkOnnx(modelDir: string, goldenPath: string): Promise<OnnxCheck> {
  const model = await loadModel(modelDir)
  const golden = JSON.parse(await readFile(goldenPath, 'utf8')) as { tokenDim: number; cases: GoldenCase[] }
  const session = await ort.InferenceSession.create(model.onnxPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  })
  const io = model.manifest.io
  const perOutput: Record<string, number> = {}
  try {
    for (const c of golden.cases) {
      const feeds: Record<string, ort.Tensor> = {
        [io.tokens]: new ort.Tensor('float32', Float32Array.from(c.tokens), [
          c.batch,
          c.budget,
          golden.tokenDim,
        ]),
        [io.positions]: new ort.Tensor('float32', Float32Array.from(c.positions), [c.budget, 2]),
      }
      if (io.question && c.question && c.questionLength) {
        feeds[io.question] = new ort.Tensor('int64', BigInt64Array.from(c.question.map(BigInt)), [
          c.batch,
          c.questionLength,
        ])
      }
      const out = await session.run(feeds)
      for (const [name, expected] of Object.entries(c.outputs)) {
        const actual = out[name]?.data as Float32Array | undefined
        if (!actual || actual.length !== expected.length) {
          throw new Error(
            `expected output ${name} with ${expected.length} values at budget ${c.budget} but received ${actual?.length ?? 'none'}`,
          )
        }
        let worst = perOutput[name] ?? 0
        for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!))
        perOutput[name] = worst
      }
    }
  } finally {
    await session.release()
  }
  return {
    maxAbsDiff: Math.max(0, ...Object.values(perOutput)),
    perOutput,
    budgets: golden.cases.map((c) => c.budget),
    runtime: 'onnxruntime-node 1 thread',
  }
}

/** Stores the check under `training.onnxCheck` in `<dir>/manifest.json` (validated, write + rename). */
export async function recordOnnxCheck(modelDir: string, check: OnnxCheck): Promise<void> {
  const path = join(modelDir, 'manifest.json')
  const raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
  const training = (raw.training ?? {}) as Record<string, unknown>
  const next = { ...raw, training: { ...training, onnxCheck: check } }
  parseManifest(next, path)
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`)
  await rename(tmp, path)
}
