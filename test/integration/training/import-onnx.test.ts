import { spawnSync } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDataset } from '../../../lib/vision/dataset/open-dataset.ts'
import { writeTokenTensors } from '../../../lib/vision/dataset/write-tokens.ts'

const python = '/usr/bin/python3'
const hasTorch = spawnSync(python, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0
const budgets = [16, 36, 64, 100, 144, 196, 256]

function runImport(modelDir: string, out: string, tokens: string) {
  return spawnSync(
    python,
    ['training/import_onnx.py', '--model-dir', modelDir, '--out', out, '--tokens', tokens],
    { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } },
  )
}

// Rebuilding PyTorch weights from a shipped ONNX file is what lets a later session train a model
// further; it must reproduce the recorded golden outputs or write nothing.
describe.skipIf(!hasTorch)('training/import_onnx.py', () => {
  let root: string
  let tokens: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tokenline-import-'))
    tokens = join(root, 'golden-tok')
    const dataset = await openDataset('test/fixtures/vision/golden')
    await writeTokenTensors({ dataset, out: tokens, budgets, patchSize: 8 })
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it.each(['edge-vit-s', 'cloud-vit-m'])('rebuilds %s to within the golden tolerance', async (name) => {
    const out = join(root, `${name}.pt`)
    // The golden images tokenized at the model's own patch size (the cloud's is 16, the edge's 8).
    const { patchSize } = JSON.parse(await readFile(join('models', name, 'manifest.json'), 'utf8'))
    let modelTokens = tokens
    if (patchSize !== 8) {
      modelTokens = join(root, `golden-tok-p${patchSize}`)
      const dataset = await openDataset('test/fixtures/vision/golden')
      await writeTokenTensors({ dataset, out: modelTokens, budgets, patchSize })
    }
    const r = runImport(join('models', name), out, modelTokens)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/largest difference to golden.json \d\.\d\de-\d\d/)
    expect((await stat(out)).size).toBeGreaterThan(100_000)
  })

  it('refuses, and writes nothing, when the weights do not give the golden outputs', async () => {
    const dir = join(root, 'tampered')
    await cp('models/edge-vit-s', dir, { recursive: true })
    const golden = JSON.parse(await readFile(join(dir, 'golden.json'), 'utf8'))
    golden.cases[3].logits[1] += 0.01
    await writeFile(join(dir, 'golden.json'), JSON.stringify(golden))
    const out = join(root, 'tampered.pt')
    const r = runImport(dir, out, tokens)
    expect(r.status).not.toBe(0)
    expect(r.stderr).toContain('does not reproduce golden.json')
    await expect(stat(out)).rejects.toThrow()
  })

  // A candidate trained elsewhere arrives without golden.json: the import writes it unchecked, and
  // golden.py must accept that checkpoint, so the check moves to golden.py plus the golden test.
  it('imports a model without golden.json, and golden.py records outputs the import then reproduces', async () => {
    const dir = join(root, 'candidate')
    await cp('models/edge-vit-s', dir, { recursive: true })
    await rm(join(dir, 'golden.json'))
    const out = join(root, 'candidate.pt')
    const first = runImport(dir, out, tokens)
    expect(first.stderr).toBe('')
    expect(first.status).toBe(0)
    expect(first.stdout).toContain('no golden.json to check against')
    const golden = spawnSync(
      python,
      ['training/golden.py', '--model-dir', dir, '--checkpoint', out, '--tokens', tokens],
      { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } },
    )
    expect(golden.stderr).toBe('')
    expect(golden.status).toBe(0)
    const recorded = JSON.parse(await readFile(join(dir, 'golden.json'), 'utf8'))
    const shipped = JSON.parse(await readFile('models/edge-vit-s/golden.json', 'utf8'))
    expect(recorded.cases).toHaveLength(shipped.cases.length)
    // The same weights: what golden.py recorded from the unchecked import matches the shipped record.
    const diff = Math.max(
      ...recorded.cases.flatMap((c: { logits: number[] }, i: number) =>
        c.logits.map((v, j) => Math.abs(v - shipped.cases[i].logits[j])),
      ),
    )
    expect(diff).toBeLessThan(shipped.tolerance)
    const second = runImport(dir, join(root, 'candidate-2.pt'), tokens)
    expect(second.status).toBe(0)
    expect(second.stdout).toMatch(/largest difference to golden.json \d\.\d\de-\d\d/)
  })
})
