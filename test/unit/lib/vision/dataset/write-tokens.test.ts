import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeDataset } from '../../../../../lib/vision/dataset/write-dataset.ts'
import { writeTokenTensors } from '../../../../../lib/vision/dataset/write-tokens.ts'
import {
  maskCoverage,
  openDataset,
  readLabels,
  type TokenTensorMeta,
  tokenizeImageU8,
} from '../../../../../lib/vision/index.ts'
import { decodeMask } from '../../../../../lib/vision/patch-mask.ts'

let root: string
const count = 10
const budgets = [4, 16]

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vision-tokens-'))
  await writeDataset({ out: join(root, 'data'), count, seed: 1_000_000, size: 64 })
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('writeDataset', () => {
  it('writes one label line per image in seed order with files that exist', async () => {
    const labels = await readLabels(join(root, 'data'))
    expect(labels.map((l) => l.seed)).toEqual(Array.from({ length: count }, (_, i) => 1_000_000 + i))
    expect(labels[0]).toMatchObject({
      id: '1000000',
      file: 'images/1000000.png',
      mask: 'masks/1000000.png',
      class: 'ok',
    })
    for (const l of labels.slice(0, 3)) {
      await expect(readFile(join(root, 'data', l.file))).resolves.toBeInstanceOf(Buffer)
      await expect(readFile(join(root, 'data', l.mask!))).resolves.toBeInstanceOf(Buffer)
    }
  })
})

describe('writeTokenTensors', () => {
  it('writes exactly what tokenizeImageU8 and maskCoverage give, in dataset order', async () => {
    const dataset = await openDataset(join(root, 'data'))
    const out = join(root, 'tensors')
    await writeTokenTensors({ dataset, out, budgets, patchSize: 4, concurrency: 3 })
    const meta = JSON.parse(await readFile(join(out, 'meta.json'), 'utf8')) as TokenTensorMeta
    expect(meta).toMatchObject({
      count,
      patchSize: 4,
      channels: 1,
      budgets,
      hasMasks: true,
      mean: [0.5],
      std: [0.25],
    })
    expect(meta.labels).toEqual(['ok', 'scratch', 'pit', 'stain', 'crack'])
    expect(meta.y).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4])
    expect(meta.ids[3]).toBe('1000003')
    for (const n of budgets) {
      const tokens = await readFile(join(out, `tokens_n${n}.u8`))
      const patch = await readFile(join(out, `patch_n${n}.u8`))
      expect(tokens.length).toBe(count * n * 16)
      expect(patch.length).toBe(count * n)
      for (const i of [0, 3, 9]) {
        const item = dataset.items[i]!
        const want = await tokenizeImageU8(await readFile(item.image), {
          budget: n,
          patchSize: 4,
          channels: 1,
          mean: [0.5],
          std: [0.25],
        })
        expect(tokens.subarray(i * n * 16, (i + 1) * n * 16).equals(Buffer.from(want.tokens))).toBe(true)
        const mask = await decodeMask(await readFile(item.mask!))
        const cover = maskCoverage(mask.data, mask.width, mask.height, Math.sqrt(n))
        expect(patch.subarray(i * n, (i + 1) * n).equals(Buffer.from(cover))).toBe(true)
      }
    }
    const stain = await readFile(join(out, 'patch_n16.u8'))
    expect(Math.max(...stain.subarray(3 * 16, 4 * 16))).toBeGreaterThan(0)
    expect(Math.max(...stain.subarray(0, 16))).toBe(0)
  })
})

describe('a dataset with second defects', () => {
  it('records the second defect in labels.jsonl, masks2/ and the also_n{N} tensors', async () => {
    const dir = join(root, 'two-defects')
    await writeDataset({ out: dir, count: 20, seed: 1_000_000, size: 64, secondDefect: 1 })
    const labels = await readLabels(dir)
    const withAlso = labels.filter((l) => l.also)
    // Every defect image (4 of each 5 seeds) has a second defect at probability 1.
    expect(withAlso.length).toBe(16)
    expect(labels.filter((l) => l.class === 'ok').every((l) => l.also === null)).toBe(true)
    for (const l of withAlso) {
      expect(l.also!.class).not.toBe(l.class)
      expect(l.also!.mask).toBe(`masks2/${l.id}.png`)
    }
    const dataset = await openDataset(dir)
    expect(dataset.items.filter((i) => i.alsoClass !== undefined).length).toBe(16)
    const out = join(root, 'two-defects-tensors')
    await writeTokenTensors({ dataset, out, budgets, patchSize: 4 })
    const meta = JSON.parse(await readFile(join(out, 'meta.json'), 'utf8')) as TokenTensorMeta
    expect(meta.alsoY).toEqual(labels.map((l) => (l.also ? meta.labels.indexOf(l.also.class) : -1)))
    for (const n of budgets) {
      expect(meta.files[String(n)]!.also).toBe(`also_n${n}.u8`)
      const also = await readFile(join(out, `also_n${n}.u8`))
      const patch = await readFile(join(out, `patch_n${n}.u8`))
      for (const i of [1, 7]) {
        const item = dataset.items[i]!
        const mask = await decodeMask(await readFile(item.alsoMask!))
        const cover = maskCoverage(mask.data, mask.width, mask.height, Math.sqrt(n))
        expect(also.subarray(i * n, (i + 1) * n).equals(Buffer.from(cover))).toBe(true)
        // The image's coverage includes the second defect's.
        for (let t = 0; t < n; t++) expect(patch[i * n + t]!).toBeGreaterThanOrEqual(also[i * n + t]! - 1)
      }
    }
  })

  it('writes no also tensors for a dataset without second defects', async () => {
    const out = join(root, 'tensors-plain')
    const meta = await writeTokenTensors({
      dataset: await openDataset(join(root, 'data')),
      out,
      budgets,
      patchSize: 4,
    })
    expect(meta.alsoY).toBeUndefined()
    await expect(readFile(join(out, 'also_n4.u8'))).rejects.toThrow()
  })
})
