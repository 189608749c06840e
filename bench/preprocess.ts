/**
 * npm run bench:preprocess -- [--seconds 1.5] [--rounds 5] [--concurrency 1] [--budgets 16,64,256]
 *
 * Preprocessing cost per image: the full serving path `tokenizeImage` (metadata checks, EXIF
 * rotate, colour conversion, resize, token layout, normalisation) against the raw baseline, the
 * least sharp call giving the same pixels: decode, toColourspace('b-w'), resize to the same g·p side
 * with the same kernel. (sharp's greyscale() costs ~50 % more than toColourspace('b-w') here.)
 * 512×512 grey surfaces from the dataset generator, PNG and JPEG (q90), patch 8. Baseline and
 * full path alternate in rounds so load from other processes hits both alike; the table reports
 * medians over rounds: throughput (wall) and process CPU time per image (all threads, the steadier
 * figure on a shared machine), each as a ratio full/raw.
 */
import os from 'node:os'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { generateSample } from '../lib/vision/dataset/generate.ts'
import { resizeKernel, type TokenGridSpec, tokenizeImage } from '../lib/vision/index.ts'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '1.5' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1' },
    budgets: { type: 'string', default: '16,64,256' },
  },
})
const seconds = Number(values.seconds)
const rounds = Number(values.rounds)
const concurrency = Number(values.concurrency)
const budgets = values.budgets.split(',').map(Number)
const patch = 8
const side = 512

const sources = Array.from({ length: 8 }, (_, i) => generateSample(3000 + i, side).pixels)
const formats = {
  png: await Promise.all(
    sources.map((p) =>
      sharp(p, { raw: { width: side, height: side, channels: 1 } })
        .png()
        .toBuffer(),
    ),
  ),
  jpeg: await Promise.all(
    sources.map((p) =>
      sharp(p, { raw: { width: side, height: side, channels: 1 } })
        .jpeg({ quality: 90 })
        .toBuffer(),
    ),
  ),
}

type Rate = { perSecond: number; cpuMs: number }

/** Throughput (img/s, wall) and process CPU time per image (ms, all threads incl. sharp's). */
async function rate(work: (bytes: Buffer) => Promise<unknown>, images: Buffer[]): Promise<Rate> {
  const end = performance.now() + seconds * 1000
  let done = 0
  let next = 0
  const lane = async () => {
    while (performance.now() < end) {
      await work(images[next++ % images.length]!)
      done++
    }
  }
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  await Promise.all(Array.from({ length: concurrency }, lane))
  const c = process.cpuUsage(c0)
  return { perSecond: (done * 1000) / (performance.now() - t0), cpuMs: (c.user + c.system) / 1000 / done }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

type Row = {
  format: string
  budget: number
  side: number
  raw: number
  full: number
  ratio: number
  rawCpu: number
  fullCpu: number
}
const rows: Row[] = []
for (const [format, images] of Object.entries(formats)) {
  for (const budget of budgets) {
    const g = Math.sqrt(budget)
    const s = g * patch
    const spec: TokenGridSpec = { budget, patchSize: patch, channels: 1, mean: [0.5], std: [0.25] }
    const raw = (bytes: Buffer) =>
      sharp(bytes).toColourspace('b-w').resize(s, s, { kernel: resizeKernel, fit: 'fill' }).raw().toBuffer()
    const full = (bytes: Buffer) => tokenizeImage(bytes, spec)
    await rate(raw, images)
    await rate(full, images)
    const raws: Rate[] = []
    const fulls: Rate[] = []
    for (let r = 0; r < rounds; r++) {
      raws.push(await rate(raw, images))
      fulls.push(await rate(full, images))
    }
    const rawRate = median(raws.map((x) => x.perSecond))
    const fullRate = median(fulls.map((x) => x.perSecond))
    const row: Row = {
      format,
      budget,
      side: s,
      raw: rawRate,
      full: fullRate,
      ratio: fullRate / rawRate,
      rawCpu: median(raws.map((x) => x.cpuMs)),
      fullCpu: median(fulls.map((x) => x.cpuMs)),
    }
    rows.push(row)
    process.stderr.write(
      `${format} N=${budget}: raw ${row.raw.toFixed(0)} img/s ${row.rawCpu.toFixed(2)} ms CPU, full ${row.full.toFixed(0)} img/s ${row.fullCpu.toFixed(2)} ms CPU\n`,
    )
  }
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
console.log(
  `\nMachine: ${os.cpus().length} × ${cpu}, load average ${os.loadavg()[0]!.toFixed(2)} at end; Node ${process.version}, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, sharp.concurrency() ${sharp.concurrency()}, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
)
console.log(
  `Settings: ${side}×${side} grey, patch ${patch}, kernel ${resizeKernel}, ${concurrency} in flight, ${rounds} rounds × ${seconds} s each side, medians\n`,
)
console.log(
  '| source | budget N | side | raw sharp img/s | tokenizeImage img/s | throughput full/raw | raw CPU ms/img | full CPU ms/img | CPU full/raw |',
)
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
for (const r of rows) {
  console.log(
    `| ${r.format} 512² | ${r.budget} | ${r.side} | ${r.raw.toFixed(0)} | ${r.full.toFixed(0)} | ${r.ratio.toFixed(2)} | ${r.rawCpu.toFixed(2)} | ${r.fullCpu.toFixed(2)} | ${(r.fullCpu / r.rawCpu).toFixed(2)} |`,
  )
}
