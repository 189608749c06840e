import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scalingReportV1 } from '../../../lib/contracts/scaling-report.v1.ts'
import { loadModel } from '../../../lib/inference/index.ts'
import { fashionMnistClasses, writeIdxFolder } from '../../../lib/vision/dataset/idx-folder.ts'
import { loadTrainOptions } from '../../../training/train-options.ts'
import { runTraining } from '../../../training/train-runner.ts'

const python = '/usr/bin/python3'
const hasTorch = spawnSync(python, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0
/** 24 training and 8 test images a class of Fashion-MNIST (see make-fashion-mnist-mini.ts). */
const mini = resolve(import.meta.dirname, '../../fixtures/vision/fashion-mnist-mini')

// A plant's own folder, as a new user has it: real 28×28 px photos in ten class folders, no masks.
// Runs Python (torch + onnx from Debian); the platform itself never needs it, so skip where absent.
describe.skipIf(!hasTorch)('npm run train on a real labelled folder without masks', () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tokenline-plant-'))
    for (const [split, file, perClass] of [
      ['train', 'train', 24],
      ['test', 't10k', 8],
    ] as const) {
      await writeIdxFolder({
        images: join(mini, `${file}-images-idx3-ubyte.gz`),
        labels: join(mini, `${file}-labels-idx1-ubyte.gz`),
        out: join(root, split),
        perClass,
        classes: fashionMnistClasses,
      })
    }
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('folder → labels recipe → ONNX + manifest → eval report that marks upsampled budgets, beside a baseline', async () => {
    const options = loadTrainOptions([
      '--data',
      join(root, 'train'),
      '--test',
      join(root, 'test'),
      '--role',
      'edge',
      '--out',
      join(root, 'models'),
      '--work',
      join(root, 'work'),
      '--budgets',
      '16,36,64',
      '--minutes',
      '0.4',
      '--threads',
      '1',
      '--baseline',
    ])
    const lines: string[] = []
    const { models, baseline } = await runTraining(options, 'test', { onLog: (l) => lines.push(l) })

    expect(lines.some((l) => l.includes('recipe labels (no masks)'))).toBe(true)
    expect(lines.some((l) => /epoch 1 t=\d+s .*val-acc/.test(l))).toBe(true)
    const [edge] = models
    expect(edge!.onnxCheck.maxAbsDiff).toBeLessThan(1e-4)
    const manifest = (await loadModel(edge!.dir)).manifest
    expect(manifest.nativeSize).toEqual({ width: 28, height: 28 })
    expect(manifest.training?.recipe).toBe('labels')
    // 28 px with 8-px patches: the 4×4 grid is native, larger grids are resampled to it in the model.
    expect((manifest.training?.architecture as { native_grid?: number } | undefined)?.native_grid).toBe(4)

    const report = edge!.evaluation!.report
    expect(scalingReportV1.parse(report)).toEqual(report)
    expect(report.dataset).toMatchObject({ count: 80, nativeSize: { width: 28, height: 28 }, patchSize: 8 })
    expect(report.points.map((p) => [p.budget, p.upsampled])).toEqual([
      [16, false],
      [36, true],
      [64, true],
    ])
    expect(report.fits.budgets).toEqual([16])
    // Half a minute on 192 images: well above chance (0.1), not a benchmark.
    const acc = Object.fromEntries(report.points.map((p) => [p.budget, p.accuracy]))
    expect(acc[16]).toBeGreaterThan(0.25)
    // Upsampled budgets carry the native pixels, so they score about the same.
    expect(Math.abs(acc[64]! - acc[16]!)).toBeLessThanOrEqual(0.1)

    expect(baseline?.budget).toBe(16)
    expect(Object.keys(baseline!.models).sort()).toEqual(['cnn', 'logistic'])
    for (const r of Object.values(baseline!.models)) expect(r.testAccuracy).toBeGreaterThan(0.1)
  }, 240_000)
})
