import sharp from 'sharp'
import { VisionError } from '../errors.ts'
import type { DatasetItem } from './folder.ts'

/**
 * Median width and height (px, after EXIF orientation) of a data set's images, read from their
 * headers only: the information limit a scaling report marks upsampled budgets against.
 * @throws VisionError VISION_DATASET_INVALID when there are no images or one has no size.
 */
export async function medianImageSize(
  items: readonly Pick<DatasetItem, 'id' | 'image'>[],
  concurrency = 8,
): Promise<{ width: number; height: number }> {
  if (items.length === 0)
    throw new VisionError('VISION_DATASET_INVALID', 'expected at least one image but received none')
  const widths = new Array<number>(items.length)
  const heights = new Array<number>(items.length)
  let next = 0
  const work = async () => {
    while (next < items.length) {
      const i = next++
      const item = items[i]!
      const meta = await sharp(item.image).metadata()
      if (!meta.width || !meta.height)
        throw new VisionError('VISION_DATASET_INVALID', `expected an image size in ${item.id} but found none`)
      const swap = (meta.orientation ?? 1) >= 5
      widths[i] = swap ? meta.height : meta.width
      heights[i] = swap ? meta.width : meta.height
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, work))
  const mid = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)]!
  return { width: mid(widths), height: mid(heights) }
}
