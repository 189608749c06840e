import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { VisionError } from '../errors.ts'
import { type DatasetItem, loadLabelledFolder } from './folder.ts'
import { defectClasses, labelsFile, readLabels, type SampleLabel } from './labels.ts'

export type Dataset = {
  kind: 'generated' | 'folder'
  dir: string
  /** Class names in label-index order. */
  labels: string[]
  items: DatasetItem[]
  /** Generated datasets only: the label lines, aligned with `items`. */
  generated?: SampleLabel[]
}

/**
 * Opens either a generated dataset (`labels.jsonl` present) or a labelled folder.
 * `labels` overrides the class order (every class found must be listed).
 * @throws VisionError VISION_DATASET_INVALID
 */
export async function openDataset(dir: string, labels?: string[]): Promise<Dataset> {
  const generated = await access(join(dir, labelsFile)).then(
    () => true,
    () => false,
  )
  let dataset: Dataset
  if (generated) {
    const lines = await readLabels(dir)
    dataset = {
      kind: 'generated',
      dir,
      labels: [...defectClasses],
      items: lines.map((l) => ({
        id: l.id,
        image: join(dir, l.file),
        mask: l.mask === null ? null : join(dir, l.mask),
        className: l.class,
        ...(l.also ? { alsoClass: l.also.class, alsoMask: join(dir, l.also.mask) } : {}),
      })),
      generated: lines,
    }
  } else {
    const folder = await loadLabelledFolder(dir)
    dataset = { kind: 'folder', dir, labels: folder.labels, items: folder.items }
  }
  if (labels) dataset.labels = labels
  const known = new Set(dataset.labels)
  const unknown = [
    ...new Set(
      dataset.items
        .flatMap((i) => [i.className, ...(i.alsoClass ? [i.alsoClass] : [])])
        .filter((c) => !known.has(c)),
    ),
  ]
  if (unknown.length > 0) {
    throw new VisionError(
      'VISION_DATASET_INVALID',
      `expected every class of ${dir} in labels [${dataset.labels.join(', ')}] but received also [${unknown.join(', ')}]`,
    )
  }
  return dataset
}
