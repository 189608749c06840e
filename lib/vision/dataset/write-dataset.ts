import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import sharp from 'sharp'
import { workerLaunch } from '../../worker/index.ts'
import { createBuffers, generateSample } from './generate.ts'
import { labelsFile } from './labels.ts'
import { encodeGreyPng } from './png-grey.ts'

export type SeedRange = {
  out: string
  /** Seed of the first image; image i uses seed + i. */
  seed: number
  count: number
  /** Native side in px. */
  size: number
  /** Probability that a defect image also gets a second defect (generateSample). */
  secondDefect: number
  /** Image PNG encodes in flight at once (sharp runs them on its thread pool). */
  inFlight: number
  onProgress?: (done: number) => void
}

/**
 * Generates and writes images and masks for one seed range on this thread; returns the label
 * lines (JSON, no newline) in seed order. Generation and mask encoding run here; image PNG
 * encoding (sharp's pool) and file writes overlap with it.
 */
export async function writeSeedRange(range: SeedRange): Promise<string[]> {
  const { out, seed, count, size } = range
  const buffers = createBuffers(size)
  const lines = new Array<string>(count)
  const pending = new Set<Promise<void>>()
  const emptyMask = encodeGreyPng(size, size, new Uint8Array(size * size))
  let done = 0
  const png = (data: Uint8Array) =>
    sharp(data, { raw: { width: size, height: size, channels: 1 } })
      .png({ compressionLevel: 3, adaptiveFiltering: false, palette: false })
      .toBuffer()
  for (let i = 0; i < count; i++) {
    const { pixels, mask, also, label } = generateSample(seed + i, size, buffers, {
      secondDefect: range.secondDefect,
    })
    const file = `images/${label.id}.png`
    const maskFile = `masks/${label.id}.png`
    const alsoFile = also ? `masks2/${label.id}.png` : null
    lines[i] = JSON.stringify({
      id: label.id,
      file,
      mask: maskFile,
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
      ...(range.secondDefect > 0
        ? { also: also ? { class: also.class, box: also.box, area: also.area, mask: alsoFile } : null }
        : {}),
    })
    const maskPng = label.area === 0 ? emptyMask : encodeGreyPng(size, size, mask)
    const job = (async () => {
      const img = await png(pixels)
      await Promise.all([
        writeFile(join(out, file), img),
        writeFile(join(out, maskFile), maskPng),
        ...(also && alsoFile ? [writeFile(join(out, alsoFile), encodeGreyPng(size, size, also.mask))] : []),
      ])
      done++
      range.onProgress?.(done)
    })()
    pending.add(job)
    void job.finally(() => pending.delete(job))
    if (pending.size >= range.inFlight) await Promise.race(pending)
  }
  await Promise.all(pending)
  return lines
}

export type WriteDatasetOptions = {
  out: string
  count: number
  /** Seed of image 0; image i uses seed + i. */
  seed: number
  /** Native side in px; default 256. */
  size?: number
  /** Probability in [0, 1] that a defect image also gets a second, different defect; default 0. */
  secondDefect?: number
  /** Image PNG encodes in flight per thread; default 8. */
  inFlight?: number
  /** Worker threads, each generating a contiguous share of the seeds; 1 = this thread only. Default 1. */
  workers?: number
  onProgress?: (done: number) => void
}

/** Messages from generate.worker.ts. */
export type GenerateWorkerMessage = { type: 'progress'; done: number } | { type: 'done'; lines: string[] }

function runWorker(
  range: Omit<SeedRange, 'onProgress'>,
  onProgress: (done: number) => void,
): Promise<string[]> {
  const { url, entry } = workerLaunch(new URL('./generate.worker.ts', import.meta.url))
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: { entry, range } })
    let lines: string[] | undefined
    worker.on('message', (msg: GenerateWorkerMessage) => {
      if (msg.type === 'progress') onProgress(msg.done)
      else lines = msg.lines
    })
    worker.once('error', reject)
    worker.once('exit', (code) => {
      if (lines) resolve(lines)
      else
        reject(
          new Error(`dataset worker for seeds ${range.seed}.. exited with code ${code} before finishing`),
        )
    })
  })
}

/**
 * Writes `<out>/images/<id>.png`, `<out>/masks/<id>.png` (255 = defect) and `<out>/labels.jsonl`
 * (lines in seed order). The files do not depend on `workers` or `inFlight`.
 */
export async function writeDataset(
  options: WriteDatasetOptions,
): Promise<{ count: number; seconds: number }> {
  const size = options.size ?? 256
  const inFlight = options.inFlight ?? 8
  const workers = Math.max(1, Math.min(options.workers ?? 1, Math.ceil(options.count / 50)))
  const started = process.hrtime.bigint()
  await mkdir(join(options.out, 'images'), { recursive: true })
  await mkdir(join(options.out, 'masks'), { recursive: true })
  const secondDefect = options.secondDefect ?? 0
  if (!(secondDefect >= 0 && secondDefect <= 1))
    throw new RangeError(`expected secondDefect in [0, 1] but received ${secondDefect}`)
  if (secondDefect > 0) await mkdir(join(options.out, 'masks2'), { recursive: true })
  let lines: string[]
  if (workers === 1) {
    lines = await writeSeedRange({
      out: options.out,
      seed: options.seed,
      count: options.count,
      size,
      secondDefect,
      inFlight,
      onProgress: options.onProgress,
    })
  } else {
    const progress = new Array<number>(workers).fill(0)
    const share = Math.ceil(options.count / workers)
    const parts = await Promise.all(
      Array.from({ length: workers }, (_, w) => {
        const start = w * share
        const count = Math.max(0, Math.min(share, options.count - start))
        return runWorker(
          { out: options.out, seed: options.seed + start, count, size, secondDefect, inFlight },
          (done) => {
            progress[w] = done
            options.onProgress?.(progress.reduce((a, b) => a + b, 0))
          },
        )
      }),
    )
    lines = parts.flat()
  }
  await writeFile(join(options.out, labelsFile), `${lines.join('\n')}\n`)
  return { count: options.count, seconds: Number(process.hrtime.bigint() - started) / 1e9 }
}
