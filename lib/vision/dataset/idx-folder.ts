/**
 * IDX files (the MNIST family's format) → a labelled folder `<out>/<class>/<index>.png`.
 *
 *   images: u32 BE magic 0x00000803, u32 count, u32 rows, u32 cols, then count·rows·cols u8 (grey)
 *   labels: u32 BE magic 0x00000801, u32 count, then count u8 class indices
 *   either file may be gzip-compressed (.gz), as Debian's dataset-fashion-mnist ships them.
 *
 * The first `perClass` images of every class, in file order, are written: balanced and
 * deterministic without a random draw. File names are the image's index in the IDX file.
 */
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import sharp from 'sharp'
import { VisionError } from '../errors.ts'

/** Class names of Fashion-MNIST in label-index order, as folder names. */
export const fashionMnistClasses = [
  't-shirt',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle-boot',
] as const

export type IdxImages = { count: number; rows: number; cols: number; pixels: Uint8Array }

async function readMaybeGzip(path: string): Promise<Uint8Array> {
  const raw = await readFile(path)
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw
}

function header(buf: Uint8Array, path: string, magic: number, words: number): number[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  if (buf.byteLength < 4 * words || view.getUint32(0) !== magic) {
    throw new VisionError(
      'VISION_DATASET_INVALID',
      `expected IDX magic 0x${magic.toString(16).padStart(8, '0')} in ${path} but received ${buf.byteLength < 4 ? 'a short file' : `0x${view.getUint32(0).toString(16)}`}`,
    )
  }
  return Array.from({ length: words - 1 }, (_, i) => view.getUint32(4 * (i + 1)))
}

/** Reads an IDX image file (u8, 3 dimensions). */
export async function readIdxImages(path: string): Promise<IdxImages> {
  const buf = await readMaybeGzip(path)
  const [count, rows, cols] = header(buf, path, 0x803, 4) as [number, number, number]
  const pixels = buf.subarray(16)
  if (pixels.byteLength !== count * rows * cols) {
    throw new VisionError(
      'VISION_DATASET_INVALID',
      `expected ${count}×${rows}×${cols} bytes of pixels in ${path} but received ${pixels.byteLength}`,
    )
  }
  return { count, rows, cols, pixels }
}

/** Reads an IDX label file (u8, 1 dimension). */
export async function readIdxLabels(path: string): Promise<Uint8Array> {
  const buf = await readMaybeGzip(path)
  const [count] = header(buf, path, 0x801, 2) as [number]
  const labels = buf.subarray(8)
  if (labels.byteLength !== count) {
    throw new VisionError(
      'VISION_DATASET_INVALID',
      `expected ${count} labels in ${path} but received ${labels.byteLength}`,
    )
  }
  return labels
}

export type IdxFolderOptions = {
  images: string
  labels: string
  out: string
  /** Images written per class (the first ones of that class in file order). */
  perClass: number
  /** Folder name per label index. */
  classes: readonly string[]
}

/**
 * Writes the first `perClass` images of each class as grey PNGs; returns how many per class.
 * @throws VisionError VISION_DATASET_INVALID for a malformed file, mismatched counts or a class
 *   with fewer than `perClass` images.
 */
export async function writeIdxFolder(options: IdxFolderOptions): Promise<Record<string, number>> {
  const images = await readIdxImages(options.images)
  const labels = await readIdxLabels(options.labels)
  if (labels.length !== images.count) {
    throw new VisionError(
      'VISION_DATASET_INVALID',
      `expected as many labels as images (${images.count}) in ${options.labels} but received ${labels.length}`,
    )
  }
  const size = images.rows * images.cols
  const written: Record<string, number> = Object.fromEntries(options.classes.map((c) => [c, 0]))
  const digits = String(images.count - 1).length
  await Promise.all(options.classes.map((c) => mkdir(join(options.out, c), { recursive: true })))
  for (let i = 0; i < images.count; i++) {
    const cls = options.classes[labels[i]!]
    if (cls === undefined || written[cls]! >= options.perClass) continue
    written[cls]!++
    await sharp(images.pixels.subarray(i * size, (i + 1) * size), {
      raw: { width: images.cols, height: images.rows, channels: 1 },
    })
      .toColourspace('b-w')
      .png()
      .toFile(join(options.out, cls, `${String(i).padStart(digits, '0')}.png`))
  }
  const short = Object.entries(written).filter(([, n]) => n < options.perClass)
  if (short.length > 0) {
    throw new VisionError(
      'VISION_DATASET_INVALID',
      `expected ${options.perClass} images per class in ${options.images} but received ${short.map(([c, n]) => `${n} of ${c}`).join(', ')}`,
    )
  }
  return written
}
