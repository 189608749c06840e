import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { calibrationRecordsV1 } from '../../../../lib/contracts/calibration-records.v1.ts'
import { loadModel } from '../../../../lib/inference/model.loader.ts'
import { buildCalibrationRecords } from '../../../../lib/scaling/per-image.ts'
import { runScaling } from '../../../../lib/scaling/scaling-run.ts'
import { openDataset } from '../../../../lib/vision/dataset/open-dataset.ts'

const fixtures = join(import.meta.dirname, '../../../fixtures/models')
let dir: string

// The fixture model calls bright images "scratch" and dark ones "ok" (see make-tiny.py).
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokenline-per-image-'))
  for (const [cls, level] of [
    ['ok', 30],
    ['scratch', 225],
  ] as const) {
    await mkdir(join(dir, cls), { recursive: true })
    for (let i = 0; i < 3; i++) {
      const px = Buffer.alloc(40 * 40, level + i)
      await sharp(px, { raw: { width: 40, height: 40, channels: 1 } })
        .png()
        .toFile(join(dir, cls, `${i}.png`))
    }
  }
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('per-image calibration records', () => {
  it('hold every image’s truth and calibrated probabilities at every budget, as the report saw them', async () => {
    const model = await loadModel(join(fixtures, 'tiny'))
    const dataset = await openDataset(dir, model.manifest.labels)
    const passes = await runScaling({
      model,
      items: dataset.items,
      dataset: { path: dir },
      budgets: [4, 16],
      command: 'test',
      batchSize: 4,
    })
    const records = calibrationRecordsV1.parse(
      JSON.parse(
        JSON.stringify(
          buildCalibrationRecords({
            manifest: model.manifest,
            ids: dataset.items.map((i) => i.id),
            passes,
            dataset: { path: dir },
            command: 'npm run eval -- --per-image x.json',
          }),
        ),
      ),
    )
    const k = model.manifest.labels.length
    expect(records.images.ids).toEqual(dataset.items.map((i) => i.id))
    expect(records.images.truth.map((t) => records.labels[t])).toEqual(dataset.items.map((i) => i.className))
    expect(records.passes[0]!.budgets.map((b) => b.budget)).toEqual([4, 16])
    for (const [b, budget] of records.passes[0]!.budgets.entries()) {
      const ev = passes[0]!.evaluations[b]!
      const report = passes[0]!.report.points[b]!
      let right = 0
      for (let i = 0; i < records.images.ids.length; i++) {
        const row = budget.probabilities.slice(i * k, (i + 1) * k).map((p) => p / records.scale)
        for (const [j, p] of row.entries()) expect(p).toBeCloseTo(ev.probabilities[i * k + j]!, 5)
        if (row.indexOf(Math.max(...row)) === records.images.truth[i]) right++
      }
      // The stored rows reproduce the report's accuracy at that budget.
      expect(right / records.images.ids.length).toBeCloseTo(report.accuracy, 10)
    }
  })

  it('refuses passes that did not see the given images', () => {
    expect(() =>
      buildCalibrationRecords({
        manifest: { name: 'm', sha256: 'x', role: 'edge', labels: ['ok', 'scratch'] },
        ids: ['a', 'b'],
        passes: [],
        dataset: { path: 'd' },
        command: 'c',
      }),
    ).toThrow(RangeError)
  })
})
