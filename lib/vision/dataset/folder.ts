import { readdir } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { VisionError } from '../errors.ts'

/** One image of a dataset on disk, paths absolute or relative to the process directory. */
export type DatasetItem = {
  id: string
  image: string
  /** Binary defect mask (255 = defect) of the same size, or null when the dataset has none. */
  mask: string | null
  className: string
  /** A second, less severe defect's class (generated datasets with --second-defect). */
  alsoClass?: string
  /** Mask of that second defect alone (255 = defect). */
  alsoMask?: string
}

export type LabelledFolder = {
  /** Class names: the sub-folder names, sorted (code-point order). */
  labels: string[]
  /** Images in class order, then file-name order; ids are `<class>/<file name>`. */
  items: DatasetItem[]
}

/** File name endings read as images by the folder loader. */
export const imageExtensions = ['.png', '.jpg', '.jpeg', '.webp'] as const

/**
 * Loads a user's labelled folder `<dir>/<class>/*.png|jpg|jpeg|webp` (no masks). Hidden entries
 * (starting with '.') are skipped.
 * @throws VisionError VISION_DATASET_INVALID when `dir` cannot be read, has fewer than two class
 *   folders, or a class folder holds no images.
 */
export async function loadLabelledFolder(dir: string): Promise<LabelledFolder> {
  let entries: import('node:fs').Dirent[]
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    throw new VisionError(
      'VISION_DATASET_INVALID',
      `expected a readable folder for dir but ${dir} could not be read`,
      {
        cause: err,
      },
    )
  }
  const labels = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort()
  if (labels.length < 2) {
    throw new VisionError(
      'VISION_DATASET_INVALID',
      `expected at least two class folders in ${dir} (<dir>/<class>/*.png) but received ${labels.length}`,
    )
  }
  const items: DatasetItem[] = []
  for (const className of labels) {
    const files = (await readdir(join(dir, className), { withFileTypes: true }))
      .filter(
        (e) =>
          e.isFile() &&
          !e.name.startsWith('.') &&
          (imageExtensions as readonly string[]).includes(extname(e.name).toLowerCase()),
      )
      .map((e) => e.name)
      .sort()
    if (files.length === 0) {
      throw new VisionError(
        'VISION_DATASET_INVALID',
        `expected images (${imageExtensions.join(', ')}) in ${join(dir, className)} but found none`,
      )
    }
    for (const name of files) {
      items.push({ id: `${className}/${name}`, image: join(dir, className, name), mask: null, className })
    }
  }
  return { labels, items }
}
