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
