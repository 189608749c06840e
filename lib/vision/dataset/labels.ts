/**
 * Label line format of a generated dataset: `<dir>/labels.jsonl`, one JSON object per image.
 *
 *   { "id": "0000042", "file": "images/0000042.png", "mask": "masks/0000042.png",
 *     "class": "scratch", "box": [x, y, w, h] | null, "size": 131, "area": 190,
 *     "contrast": 0.41, "texture": "brushed-metal", "lookalike": "faint-shading" | null,
 *     "seed": 42, "width": 256, "height": 256,
 *     "also": { "class": "stain", "box": [x, y, w, h], "area": 900, "mask": "masks2/0000042.png" } }
 *
 * `box` and `size` are native pixels of the mask's bounding box (`size` = its longer side, 0 for ok);
 * `mask` marks every defect pixel; `also` (optional, null or absent for one defect) is a second,
 * less severe defect (see defectSeverity) with a mask of its own pixels; `area` counts mask pixels; `contrast` in [0, 1] is the defect strength knob (0 = faintest).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { VisionError } from '../errors.ts'

/** Class names in label-index order; `y` in training tensors indexes this list. */
export const defectClasses = ['ok', 'scratch', 'pit', 'stain', 'crack'] as const
export type DefectClass = (typeof defectClasses)[number]

/**
 * Which defect names an image that has two (higher wins): a crack can split the part, pits and
 * scratches break the surface, a stain is cosmetic.
 */
export const defectSeverity: Record<Exclude<DefectClass, 'ok'>, number> = {
  crack: 4,
  pit: 3,
  scratch: 2,
  stain: 1,
}

/** Harmless features added to some images of every class (never a defect). */
export const lookalikeKinds = ['faint-shading', 'polish-mark', 'light-streak'] as const
export type LookalikeKind = (typeof lookalikeKinds)[number]

/**
 * First seed of each split: seeds of image i in a split are `start + i`, so splits never overlap.
 * `test2` is the held-out split generated with `--second-defect` (parts with two defects).
 */
export const splitSeeds = { train: 0, val: 1_000_000, test: 2_000_000, test2: 3_000_000 } as const

export const sampleLabelSchema = z.object({
  id: z.string().min(1),
  file: z.string().min(1),
  mask: z.string().min(1).nullable(),
  class: z.string().min(1),
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]).nullable(),
  size: z.number().nonnegative(),
  area: z.number().int().nonnegative().optional(),
  contrast: z.number().nullable(),
  texture: z.string().nullable(),
  lookalike: z.string().nullable().optional(),
  seed: z.number().int().nullable(),
  /** A second, less severe defect on the same image (datasets generated with --second-defect). */
  also: z
    .object({
      class: z.string().min(1),
      box: z.tuple([z.number(), z.number(), z.number(), z.number()]).nullable(),
      area: z.number().int().nonnegative(),
      mask: z.string().min(1),
    })
    .nullable()
    .optional(),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
})
export type SampleLabel = z.output<typeof sampleLabelSchema>

export const labelsFile = 'labels.jsonl'

/**
 * Reads `<dir>/labels.jsonl`; `file`/`mask` stay relative to `dir`.
 * @throws VisionError VISION_DATASET_INVALID naming the line that does not parse.
 */
export async function readLabels(dir: string): Promise<SampleLabel[]> {
  const path = join(dir, labelsFile)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new VisionError(
      'VISION_DATASET_INVALID',
      `expected a labels file at ${path} but it could not be read`,
      {
        cause: err,
      },
    )
  }
  const out: SampleLabel[] = []
  const lines = text.split('\n')
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim()
    if (line === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (err) {
      throw new VisionError(
        'VISION_DATASET_INVALID',
        `${path}:${n + 1}: expected JSON but received ${line.slice(0, 60)}`,
        {
          cause: err,
        },
      )
    }
    const parsed = sampleLabelSchema.safeParse(value)
    if (!parsed.success) {
      throw new VisionError(
        'VISION_DATASET_INVALID',
        `${path}:${n + 1}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      )
    }
    out.push(parsed.data)
  }
  return out
}
