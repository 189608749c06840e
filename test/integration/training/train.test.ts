import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModel } from '../../../lib/inference/index.ts'
import { loadTrainOptions } from '../../../training/train-options.ts'
import { runTraining } from '../../../training/train-runner.ts'

const python = '/usr/bin/python3'
const hasTorch = spawnSync(python, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0

async function writeFolder(root: string): Promise<void> {
  for (const cls of ['ok', 'scratch']) {
    await mkdir(join(root, cls), { recursive: true })
    for (let i = 0; i < 6; i++) {
      const pixels = Buffer.alloc(32 * 32, 90 + i * 10)
      if (cls === 'scratch') for (let y = 0; y < 32; y++) pixels[y * 32 + 10 + (i % 5)] = 250
      await sharp(pixels, { raw: { width: 32, height: 32, channels: 1 } })
        .png()
        .toFile(join(root, cls, `${i}.png`))
    }
  }
}

// Runs Python (torch + onnx from Debian); the platform itself never needs it, so skip where absent.
describe.skipIf(!hasTorch)('npm run train on a labelled folder', () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tokenline-train-'))
    await writeFolder(join(root, 'plant'))
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('writes an edge and a cloud model whose ONNX matches PyTorch and whose manifest loads', async () => {
    const options = loadTrainOptions([
      '--data',
      join(root, 'plant'),
      '--out',
      join(root, 'models'),
      '--work',
      join(root, 'work'),
      '--budgets',
      '4,16',
      '--patch',
      '4',
      '--max-steps',
      '2',
      '--minutes',
      '1',
      '--batch',
      '4',
      '--width',
      '16',
      '--depth',
      '1',
      '--heads',
      '2',
      '--threads',
      '1',
    ])
    const { models } = await runTraining(options, 'test')
    expect(models.map((m) => m.name)).toEqual(['plant-edge', 'plant-cloud'])
    for (const m of models) {
      expect(m.onnxCheck.maxAbsDiff).toBeLessThan(1e-4)
      const loaded = await loadModel(m.dir)
      expect(loaded.manifest.labels).toEqual(['ok', 'scratch'])
      expect(loaded.manifest.budgets).toEqual([4, 16])
      expect(loaded.manifest.patchSize).toBe(4)
      expect(Object.keys(loaded.manifest.temperatures).sort()).toEqual(['16', '4'])
      expect(loaded.manifest.training?.onnxCheck).toBeDefined()
    }
    const cloud = (await loadModel(models[1]!.dir)).manifest
    expect(cloud.role).toBe('cloud')
    expect(cloud.io.question).toBe('question')
    expect(cloud.question?.vocab).toContain('scratch')
  })
})
