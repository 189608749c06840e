import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { createBuffers, generateSample } from './generate.ts'
import { labelsFile, type SampleLabel } from './labels.ts'
import { encodeGreyPng } from './png-grey.ts'

export type WriteDatasetOptions = {
  out: string
  count: number
  /** Seed of image 0; image i uses seed + i. */
  seed: number
  /** Native side in px; default 256. */
  size?: number
  /** PNG encodes in flight at once (sharp runs them on its thread pool); default 8. */
  inFlight?: number
  onProgress?: (done: number) => void
}

/**
 * Writes `<out>/images/<id>.png`, `<out>/masks/<id>.png` (255 = defect) and `<out>/labels.jsonl`
 * (lines in seed order). Generation and mask encoding are synchronous on this thread; image PNG
 * encoding (sharp's pool) and file writes overlap with it.
 */
export async function writeDataset(
  options: WriteDatasetOptions,
): Promise<{ count: number; seconds: number }> {
  const size = options.size ?? 256
  const inFlight = options.inFlight ?? 8
  const started = process.hrtime.bigint()
  await mkdir(join(options.out, 'images'), { recursive: true })
  await mkdir(join(options.out, 'masks'), { recursive: true })
  const buffers = createBuffers(size)
  const lines = new Array<string>(options.count)
  const pending = new Set<Promise<void>>()
  let done = 0
  const png = (data: Uint8Array) =>
    sharp(data, { raw: { width: size, height: size, channels: 1 } })
      .png({ compressionLevel: 3, adaptiveFiltering: false, palette: false })
      .toBuffer()
  const emptyMask = encodeGreyPng(size, size, new Uint8Array(size * size))
  for (let i = 0; i < options.count; i++) {
    const sample = generateSample(options.seed + i, size, buffers)
    const file = `images/${sample.label.id}.png`
    const mask = `masks/${sample.label.id}.png`
    const label: SampleLabel = { ...sample.label, file, mask }
    lines[i] = JSON.stringify({
      id: label.id,
      file,
      mask,
      class: label.class,
      box: label.box,
      size: label.size,
      area: label.area,
      contrast: label.contrast,
      texture: label.texture,
      lookalike: label.lookalike,
      seed: label.seed,
      width: label.width,
      height: label.height,
    })
    const job = (async () => {
      const msk = sample.label.area === 0 ? emptyMask : encodeGreyPng(size, size, sample.mask)
      const img = await png(sample.pixels)
      await Promise.all([writeFile(join(options.out, file), img), writeFile(join(options.out, mask), msk)])
      done++
      options.onProgress?.(done)
    })()
    pending.add(job)
    void job.finally(() => pending.delete(job))
    if (pending.size >= inFlight) await Promise.race(pending)
  }
  await Promise.all(pending)
  await writeFile(join(options.out, labelsFile), `${lines.join('\n')}\n`)
  return { count: options.count, seconds: Number(process.hrtime.bigint() - started) / 1e9 }
}
