import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeDataset } from '../../../../../lib/vision/dataset/write-dataset.ts'
import { readLabels } from '../../../../../lib/vision/index.ts'

let root: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vision-dataset-'))
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('writeDataset', () => {
  it('writes the same files with 2 worker threads as on this thread alone', async () => {
    const seen: number[] = []
    await writeDataset({ out: join(root, 'one'), count: 120, seed: 2_000_000, size: 48, workers: 1 })
    await writeDataset({
      out: join(root, 'two'),
      count: 120,
      seed: 2_000_000,
      size: 48,
      workers: 2,
      onProgress: (d) => seen.push(d),
    })
    expect(seen.at(-1)).toBe(120)
    const one = await readFile(join(root, 'one', 'labels.jsonl'), 'utf8')
    expect(await readFile(join(root, 'two', 'labels.jsonl'), 'utf8')).toBe(one)
    const files = (await readdir(join(root, 'one', 'images'))).sort()
    expect(files.length).toBe(120)
    expect((await readdir(join(root, 'two', 'images'))).sort()).toEqual(files)
    for (const f of [files[0]!, files[61]!, files[119]!]) {
      for (const sub of ['images', 'masks']) {
        const a = await readFile(join(root, 'one', sub, f))
        expect(a.equals(await readFile(join(root, 'two', sub, f)))).toBe(true)
      }
    }
    const labels = await readLabels(join(root, 'two'))
    expect(labels.map((l) => l.seed)).toEqual(Array.from({ length: 120 }, (_, i) => 2_000_000 + i))
  })
})
