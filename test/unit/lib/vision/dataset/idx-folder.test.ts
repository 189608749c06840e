import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  fashionMnistClasses,
  readIdxImages,
  readIdxLabels,
  writeIdxFolder,
} from '../../../../../lib/vision/dataset/idx-folder.ts'
import { VisionError } from '../../../../../lib/vision/errors.ts'

const mini = resolve(import.meta.dirname, '../../../../fixtures/vision/fashion-mnist-mini')

describe('IDX → labelled folder', () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tokenline-idx-'))
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('reads the gzip IDX files of the Fashion-MNIST fixture', async () => {
    const images = await readIdxImages(join(mini, 't10k-images-idx3-ubyte.gz'))
    const labels = await readIdxLabels(join(mini, 't10k-labels-idx1-ubyte.gz'))
    expect([images.count, images.rows, images.cols]).toEqual([80, 28, 28])
    expect(images.pixels.byteLength).toBe(80 * 28 * 28)
    expect(labels.length).toBe(80)
    expect(new Set(labels).size).toBe(10)
  })

  it('writes the first n of every class as 28×28 grey PNGs named by their index, the same twice', async () => {
    const run = async (out: string) =>
      writeIdxFolder({
        images: join(mini, 'train-images-idx3-ubyte.gz'),
        labels: join(mini, 'train-labels-idx1-ubyte.gz'),
        out,
        perClass: 5,
        classes: fashionMnistClasses,
      })
    expect(await run(join(root, 'a'))).toEqual(Object.fromEntries(fashionMnistClasses.map((c) => [c, 5])))
    await run(join(root, 'b'))
    expect((await readdir(join(root, 'a'))).sort()).toEqual([...fashionMnistClasses].sort())
    const files = await readdir(join(root, 'a', 'bag'))
    expect(files).toEqual(await readdir(join(root, 'b', 'bag')))
    expect(files).toHaveLength(5)
    const meta = await sharp(join(root, 'a', 'bag', files[0]!)).metadata()
    expect([meta.width, meta.height, meta.channels]).toEqual([28, 28, 1])
  })

  it('refuses a class with too few images and a file that is not IDX', async () => {
    await expect(
      writeIdxFolder({
        images: join(mini, 't10k-images-idx3-ubyte.gz'),
        labels: join(mini, 't10k-labels-idx1-ubyte.gz'),
        out: join(root, 'c'),
        perClass: 9,
        classes: fashionMnistClasses,
      }),
    ).rejects.toThrow(/expected 9 images per class .* but received 8 of t-shirt/)
    await writeFile(join(root, 'bad.gz'), Buffer.from([0, 0, 8, 1, 0, 0, 0, 0]))
    await expect(readIdxImages(join(root, 'bad.gz'))).rejects.toBeInstanceOf(VisionError)
  })
})
