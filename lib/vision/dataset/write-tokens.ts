/**
 * Training tensors written by `npm run tokenize` (read by training/ in Python with numpy):
 *
 *   <out>/tokens_n{N}.u8  uint8 [count, N, p·p·C]  row-major; per image exactly tokenizeImageU8's
 *                         layout (lib/vision/token-grid.ts), i.e. the pixels serving sees
 *   <out>/patch_n{N}.u8   uint8 [count, N]         defect coverage of each patch ×255
 *                         (lib/vision/patch-mask.ts); all 0 when the dataset has no masks
 *   <out>/also_n{N}.u8    uint8 [count, N]         coverage of the second defect alone ×255, only when
 *                         some image has one (`alsoY` in meta.json: its class index, −1 for none)
 *   <out>/meta.json       TokenTensorMeta below: labels, y (class index per image), ids, budgets,
 *                         normalisation to apply: float = (u8/255 − mean[c]) / std[c]
 *
 * numpy: np.fromfile(f'tokens_n{N}.u8', np.uint8).reshape(count, N, p*p*C)
 */
import { mkdir, open, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { resizeKernel } from '../decode.ts'
import { VisionError } from '../errors.ts'
import { decodeMask, maskCoverage } from '../patch-mask.ts'
import { defaultQuestionMaxLength, defaultQuestionVocab, questionTemplates } from '../question.ts'
import { checkSpec, type TokenGridSpec } from '../spec.ts'
import { tokenizeImageU8 } from '../token-grid.ts'
import type { Dataset } from './open-dataset.ts'

/** Normalisation our models use for grey images: float = (u8/255 − 0.5) / 0.25. */
export const defaultNormalisation = { mean: [0.5], std: [0.25] }

export type TokenTensorMeta = {
  schema: 'tokenline.token-tensors.v1'
  count: number
  patchSize: number
  channels: 1 | 3
  budgets: number[]
  labels: string[]
  /** Class index into `labels`, one per image. */
  y: number[]
  /** Class index of each image's second defect, −1 for none; present when some image has one. */
  alsoY?: number[]
  ids: string[]
  hasMasks: boolean
  /**
   * Median source image size in px (after EXIF orientation), before the resize to the grid: the
   * information limit of the split (a grid wider than this only interpolates; see
   * lib/scaling/native-resolution.ts). Absent in tensors written before it existed.
   */
  nativeSize?: { width: number; height: number }
  mean: number[]
  std: number[]
  resizeKernel: string
  source: { dir: string; kind: Dataset['kind'] }
  files: Record<
    string,
    { tokens: string; patch: string; also?: string; tokenShape: number[]; patchShape: number[] }
  >
  questions: { vocab: readonly string[]; maxLength: number; templates: typeof questionTemplates }
  /** Generated datasets only, aligned with ids: defect size (px), contrast, texture, seed. */
  samples?: {
    size: number[]
    contrast: Array<number | null>
    texture: Array<string | null>
    seed: Array<number | null>
  }
}

export type WriteTokensOptions = {
  dataset: Dataset
  out: string
  budgets: number[]
  patchSize: number
  channels?: 1 | 3
  /** Images decoded at once (sharp runs them on libuv's pool); default 4. */
  concurrency?: number
  onProgress?: (done: number) => void
}

/**
 * Tokenises every image of `dataset` at every budget with the serving code path and writes the
 * files described above.
 * @throws VisionError with the failing item's id when an image or mask cannot be read.
 */
export async function writeTokenTensors(options: WriteTokensOptions): Promise<TokenTensorMeta> {
  const { dataset, out, budgets, patchSize } = options
  const channels = options.channels ?? 1
  const mean = channels === 1 ? defaultNormalisation.mean : [0.5, 0.5, 0.5]
  const std = channels === 1 ? defaultNormalisation.std : [0.25, 0.25, 0.25]
  const specs: TokenGridSpec[] = budgets.map((budget) => ({ budget, patchSize, channels, mean, std }))
  const grids = specs.map((s) => checkSpec(s))
  const labelIndex = new Map(dataset.labels.map((l, i) => [l, i]))
  const count = dataset.items.length
  const hasMasks = count > 0 && dataset.items.every((i) => i.mask !== null)
  const hasAlso = hasMasks && dataset.items.some((i) => i.alsoMask !== undefined)
  await mkdir(out, { recursive: true })
  const widths = new Array<number>(count).fill(0)
  const heights = new Array<number>(count).fill(0)
  const files: TokenTensorMeta['files'] = {}
  const handles = await Promise.all(
    budgets.flatMap((n) => [open(join(out, `tokens_n${n}.u8`), 'w'), open(join(out, `patch_n${n}.u8`), 'w')]),
  )
  const alsoHandles = hasAlso
    ? await Promise.all(budgets.map((n) => open(join(out, `also_n${n}.u8`), 'w')))
    : []
  budgets.forEach((n) => {
    files[String(n)] = {
      tokens: `tokens_n${n}.u8`,
      patch: `patch_n${n}.u8`,
      ...(hasAlso ? { also: `also_n${n}.u8` } : {}),
      tokenShape: [count, n, patchSize * patchSize * channels],
      patchShape: [count, n],
    }
  })
  try {
    for (let b = 0; b < budgets.length; b++) {
      const n = budgets[b]!
      await handles[2 * b]!.truncate(count * n * patchSize * patchSize * channels)
      await handles[2 * b + 1]!.truncate(count * n)
      await alsoHandles[b]?.truncate(count * n)
    }
    let next = 0
    let done = 0
    const work = async (): Promise<void> => {
      while (next < count) {
        const i = next++
        const item = dataset.items[i]!
        try {
          const bytes = await readFile(item.image)
          const mask = item.mask && hasMasks ? await decodeMask(await readFile(item.mask)) : null
          const alsoMask = item.alsoMask && hasAlso ? await decodeMask(await readFile(item.alsoMask)) : null
          for (let b = 0; b < specs.length; b++) {
            const spec = specs[b]!
            const grid = await tokenizeImageU8(bytes, spec)
            widths[i] = grid.width
            heights[i] = grid.height
            const rowBytes = grid.tokens.length
            await handles[2 * b]!.write(grid.tokens, 0, rowBytes, i * rowBytes)
            if (mask) {
              const cover = maskCoverage(mask.data, mask.width, mask.height, grids[b]!)
              await handles[2 * b + 1]!.write(cover, 0, cover.length, i * cover.length)
            }
            if (alsoMask) {
              const cover = maskCoverage(alsoMask.data, alsoMask.width, alsoMask.height, grids[b]!)
              await alsoHandles[b]!.write(cover, 0, cover.length, i * cover.length)
            }
          }
        } catch (err) {
          if (err instanceof VisionError) {
            throw new VisionError(err.code, `${item.id} (${item.image}): ${err.message}`, { cause: err })
          }
          throw err
        }
        done++
        options.onProgress?.(done)
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, work))
  } finally {
    await Promise.all([...handles, ...alsoHandles].map((h) => h.close()))
  }
  const meta: TokenTensorMeta = {
    schema: 'tokenline.token-tensors.v1',
    count,
    patchSize,
    channels,
    budgets,
    labels: dataset.labels,
    y: dataset.items.map((i) => labelIndex.get(i.className)!),
    ...(hasAlso
      ? { alsoY: dataset.items.map((i) => (i.alsoClass === undefined ? -1 : labelIndex.get(i.alsoClass)!)) }
      : {}),
    ids: dataset.items.map((i) => i.id),
    hasMasks,
    ...(count > 0 ? { nativeSize: { width: median(widths), height: median(heights) } } : {}),
    mean,
    std,
    resizeKernel,
    source: { dir: resolve(dataset.dir), kind: dataset.kind },
    files,
    questions: {
      vocab: defaultQuestionVocab,
      maxLength: defaultQuestionMaxLength,
      templates: questionTemplates,
    },
  }
  if (dataset.generated) {
    meta.samples = {
      size: dataset.generated.map((l) => l.size),
      contrast: dataset.generated.map((l) => l.contrast),
      texture: dataset.generated.map((l) => l.texture),
      seed: dataset.generated.map((l) => l.seed),
    }
  }
  await writeFile(join(out, 'meta.json'), `${JSON.stringify(meta)}\n`)
  return meta
}

/** Median of whole pixel sizes (the lower middle value of an even count, so it stays a size). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}
