/**
 * The held-out labelled set the cascade benchmark pushes through the system: generated images no
 * model saw (seeds from 20,000,000; see `heldOutSeeds`), or any labelled folder a user points at
 * (a generated dataset with labels.jsonl, or `<dir>/<class>/*.png|jpg|jpeg|webp` like `npm run eval`).
 */
import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { createBuffers } from '../../lib/vision/dataset/generate.ts'
import { encodeGreyPng } from '../../lib/vision/dataset/png-grey.ts'
import { generateSample, openDataset } from '../../lib/vision/index.ts'

/** One image: its bytes as the camera would send them, their content type and the reference label. */
export type HeldOutImage = {
  id: string
  bytes: Buffer
  contentType: string
  label: string
  twoDefects: boolean
}

export type HeldOutSet = { description: string; images: HeldOutImage[] }

/**
 * First seeds of the generated halves. Training and evaluation used 0… (train), 1,000,000 (val),
 * 2,000,000 (test), 3,000,000 (test2), 4,000,000 (calibration records), 6,000,000 and 7,000,000
 * (fresh), 10,000,000–11,100,000 (training sets): 20,000,000 on is unseen by every shipped model.
 */
export const heldOutSeeds = { oneDefect: 20_000_000, twoDefects: 20_500_000 } as const

/** Side of the generated images, px (what the camera of the demo line produces). */
const side = 256

/**
 * `count` generated images: the first half one defect (or none), the second half with a second
 * defect of another class on every defect image (`secondDefect` 1; the label is the more severe
 * one). Seeds cycle through the classes, so each half is balanced.
 */
export function generatedHeldOut(count: number): HeldOutSet {
  const one = Math.ceil(count / 2)
  const two = count - one
  const buffers = createBuffers(side)
  const images: HeldOutImage[] = []
  const add = (seed: number, secondDefect: number) => {
    const s = generateSample(seed, side, buffers, { secondDefect })
    images.push({
      id: String(seed),
      bytes: encodeGreyPng(side, side, s.pixels),
      contentType: 'image/png',
      label: s.label.class,
      twoDefects: s.also !== null,
    })
  }
  for (let i = 0; i < one; i++) add(heldOutSeeds.oneDefect + i, 0)
  for (let i = 0; i < two; i++) add(heldOutSeeds.twoDefects + i, 1)
  return {
    description: `${count} generated ${side}×${side} PNG images: seeds ${heldOutSeeds.oneDefect}..${heldOutSeeds.oneDefect + one - 1} one defect (or none), ${heldOutSeeds.twoDefects}..${heldOutSeeds.twoDefects + two - 1} with a second defect on every defect image`,
    images,
  }
}

const contentTypes: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
}

/**
 * A labelled folder on disk, every image read as it is (the edge decodes it like a camera's).
 * `labels` are the models' classes: a folder class outside them is refused (no verdict could match it).
 */
export async function folderHeldOut(
  dir: string,
  labels: readonly string[],
  limit?: number,
): Promise<HeldOutSet> {
  const dataset = await openDataset(dir, [...labels])
  const items = limit === undefined ? dataset.items : dataset.items.slice(0, limit)
  const images: HeldOutImage[] = []
  for (const item of items) {
    const type = contentTypes[extname(item.image).toLowerCase()]
    if (type === undefined) throw new Error(`expected a png, jpeg or webp image but received ${item.image}`)
    images.push({
      id: item.id,
      bytes: await readFile(item.image),
      contentType: type,
      label: item.className,
      twoDefects: item.alsoClass !== undefined,
    })
  }
  return { description: `${images.length} images of the ${dataset.kind} folder ${dir}`, images }
}
