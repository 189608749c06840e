import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadLabelledFolder, openDataset, VisionError } from '../../../../../lib/vision/index.ts'

let dir: string
const png = () =>
  sharp({ create: { width: 8, height: 8, channels: 3, background: '#777' } })
    .png()
    .toBuffer()

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vision-folder-'))
  for (const [cls, files] of [
    ['scratch', ['b.png', 'a.JPG', 'notes.txt']],
    ['good', ['x.jpeg']],
    ['.hidden', ['y.png']],
  ] as const) {
    await mkdir(join(dir, cls), { recursive: true })
    for (const f of files) await writeFile(join(dir, cls, f), f.endsWith('.txt') ? 'hello' : await png())
  }
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('loadLabelledFolder', () => {
  it('takes classes from sorted folder names and images from sorted file names, without masks', async () => {
    const folder = await loadLabelledFolder(dir)
    expect(folder.labels).toEqual(['good', 'scratch'])
    expect(folder.items.map((i) => i.id)).toEqual(['good/x.jpeg', 'scratch/a.JPG', 'scratch/b.png'])
    expect(folder.items.every((i) => i.mask === null)).toBe(true)
    expect(folder.items[1]!.image).toBe(join(dir, 'scratch', 'a.JPG'))
  })

  it('is what openDataset uses when there is no labels.jsonl, with a label order override', async () => {
    const ds = await openDataset(dir, ['scratch', 'good', 'other'])
    expect(ds.kind).toBe('folder')
    expect(ds.labels).toEqual(['scratch', 'good', 'other'])
    await expect(openDataset(dir, ['good'])).rejects.toMatchObject({ code: 'VISION_DATASET_INVALID' })
  })

  it('refuses a folder with fewer than two classes or an empty class', async () => {
    const lonely = await mkdtemp(join(tmpdir(), 'vision-folder-'))
    try {
      await mkdir(join(lonely, 'only'))
      await expect(loadLabelledFolder(lonely)).rejects.toBeInstanceOf(VisionError)
      await mkdir(join(lonely, 'empty'))
      await writeFile(join(lonely, 'only', 'a.png'), await png())
      await expect(loadLabelledFolder(lonely)).rejects.toThrow(/empty/)
    } finally {
      await rm(lonely, { recursive: true, force: true })
    }
  })
})
