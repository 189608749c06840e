import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scalingReportV1 } from '../../../../lib/contracts/scaling-report.v1.ts'
import { loadModel } from '../../../../lib/inference/model.loader.ts'
import { runScaling } from '../../../../lib/scaling/scaling-run.ts'
import { openDataset } from '../../../../lib/vision/dataset/open-dataset.ts'

const fixtures = join(import.meta.dirname, '../../../fixtures/models')
let dir: string

// The fixture models call bright images "scratch" and dark ones "ok" (see make-tiny.py).
async function writeFolder(root: string): Promise<void> {
  for (const [cls, level] of [
    ['ok', 30],
    ['scratch', 225],
  ] as const) {
    await mkdir(join(root, cls), { recursive: true })
    for (let i = 0; i < 5; i++) {
      const px = Buffer.alloc(40 * 40)
      for (let j = 0; j < px.length; j++) px[j] = level + ((j * 7 + i * 5) % 21) - 10
      await sharp(px, { raw: { width: 40, height: 40, channels: 1 } })
        .png()
        .toFile(join(root, cls, `${i}.png`))
    }
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokenline-eval-'))
  await writeFolder(dir)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('runScaling', () => {
  it('evaluates every budget through the pool and writes a valid report with fits', async () => {
    const model = await loadModel(join(fixtures, 'tiny'))
    const dataset = await openDataset(dir, model.manifest.labels)
    const progress: number[] = []
    const [pass, ...rest] = await runScaling({
      model,
      items: dataset.items,
      dataset: { path: dir },
      budgets: [64, 4, 16],
      command: 'test',
      batchSize: 4,
      onProgress: (done) => progress.push(done),
    })
    expect(rest).toHaveLength(0)
    const report = scalingReportV1.parse(pass!.report)
    expect(report.points.map((p) => p.budget)).toEqual([4, 16, 64])
    expect(report.question).toBeNull()
    expect(report.modelSha256).toBe(model.manifest.sha256)
    for (const p of report.points) {
      expect(p.accuracy).toBe(1)
      expect(p.tokensPerImage).toBe(p.budget)
      expect(p.latencyMsPerImage).toBeGreaterThan(0)
      expect(Object.keys(p.perClass).sort()).toEqual(['ok', 'scratch'])
      expect(p.perClass.ok!.count).toBe(5)
      expect(p.answerAccuracy).toBeUndefined()
    }
    expect(report.fits.overall.alpha).toBe(0)
    expect(report.fits.overall.r2).toBeNull()
    // Perfect at every budget: no exponent in either form, and every resample agrees.
    expect(report.fits.overall.alphaInterval).toEqual([0, 0])
    expect(report.fits.perClassRecall?.ok?.alpha).toBe(0)
    expect(report.fits.perClassRecall?.scratch?.alphaInterval).toEqual([0, 0])
    expect(pass!.notes.join('\n')).toMatch(/clamped to 0\.5\/count/)
    expect(progress.at(-1)).toBe(30)
  })

  it('measures the fused answer against the answer read off the class', async () => {
    const model = await loadModel(join(fixtures, 'tiny-cloud'))
    const dataset = await openDataset(dir, model.manifest.labels)
    const passes = await runScaling({
      model,
      items: dataset.items,
      dataset: { path: dir },
      budgets: [16],
      questions: ['is there a scratch?', 'any defect?'],
      compareQuestion: true,
      command: 'test',
    })
    expect(passes.map((p) => p.question)).toEqual([null, 'is there a scratch?', 'any defect?'])
    const [plain, scratch, any] = passes
    expect(plain!.report.points[0]!.answerAccuracy).toBeUndefined()
    expect(scratch!.report.points[0]!.answerAccuracy).toBe(1)
    expect(scratch!.summaries[0]!.point.visionAnswerAccuracy).toBe(1)
    // The baseline travels in the report too, so the gateway can show what fusion adds.
    expect(scratch!.report.points[0]!.visionAnswerAccuracy).toBe(1)
    expect(scratch!.report.points[0]!.visionPosteriorAnswerAccuracy).toBe(1)
    expect(plain!.report.points[0]!.visionAnswerAccuracy).toBeUndefined()
    expect(scratch!.summaries[0]!.visionAccuracy).toBe(plain!.report.points[0]!.accuracy)
    expect(any!.report.question).toBe('any defect?')
    expect(any!.summaries[0]!.point.visionAnswerAccuracy).toBe(1)
  })

  it('counts a second defect in the truth of every answer (fused and both vision-only readings)', async () => {
    const model = await loadModel(join(fixtures, 'tiny-cloud'))
    const dataset = await openDataset(dir, model.manifest.labels)
    // Mark the dark images as also carrying a scratch: "is there a scratch?" is now yes for all
    // ten images, while the model still sees five dark ones and says no to them.
    const items = dataset.items.map((i) => (i.className === 'ok' ? { ...i, alsoClass: 'scratch' } : i))
    const [, scratch] = await runScaling({
      model,
      items,
      dataset: { path: dir },
      budgets: [16],
      questions: ['is there a scratch?'],
      compareQuestion: true,
      command: 'test',
    })
    const point = scratch!.report.points[0]!
    expect(point.accuracy).toBe(1)
    expect(point.answerAccuracy).toBe(0.5)
    expect(point.visionAnswerAccuracy).toBe(0.5)
    expect(point.visionPosteriorAnswerAccuracy).toBe(0.5)
    const unknown = dataset.items.map((i) => ({ ...i, alsoClass: 'dent' }))
    await expect(
      runScaling({ model, items: unknown, dataset: { path: dir }, budgets: [16], command: 'test' }),
    ).rejects.toThrow(/second defect dent/)
  })

  it('refuses a question for a model without a question input and budgets it does not list', async () => {
    const model = await loadModel(join(fixtures, 'tiny'))
    const base = { model, items: [], dataset: { path: dir }, command: 'test' }
    await expect(runScaling({ ...base, budgets: [16], questions: ['any defect?'] })).rejects.toThrow(
      /question input/,
    )
    await expect(runScaling({ ...base, budgets: [256] })).rejects.toThrow(/budgets 4, 16, 64/)
  })
})
