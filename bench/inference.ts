/**
 * npm run bench:inference -- [--models-dir models] [--model name ...] [--budgets 16,64,256]
 *   [--batch 32] [--threads 2] [--seconds 2] [--rounds 3] [--write]
 *
 * Per model and budget: onnxruntime-node session.run in this thread at batch `batch` with
 * `threads` intra-op threads (the baseline) against the same batches through InferencePool with
 * the same thread total, as 1 worker × `threads` threads and as `threads` workers × 1 thread.
 * Rounds interleave raw and pool runs (order reversed every other round); the best img/s of each
 * over the rounds is reported (the least disturbed run on a shared machine), with the CPU time per
 * image of all threads of the process (least over the rounds). Pool cost = 1 − pool/raw img/s, and
 * pool/raw CPU per image − 1. Inputs are fixed random tokens; the pool copies each request (as serving does)
 * and is kept busy with 2 requests per worker in flight. --write replaces the "## Inference"
 * section of BENCHMARKS.md with the result.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { SingleBar } from 'cli-progress'
import * as ort from 'onnxruntime-node'
import { ConfigError } from '../lib/config/index.ts'
import { InferencePool } from '../lib/inference/inference.pool.ts'
import { type LoadedModel, loadModel, tokenWidth } from '../lib/inference/model.loader.ts'
import { runMain } from '../lib/lifecycle/index.ts'
import { positionsFor } from '../lib/vision/positions.ts'

/** Wall-clock rate and CPU time (all threads of this process) per image of one measurement. */
interface Measure {
  imgPerS: number
  cpuMsPerImg: number
}

interface Row {
  model: string
  role: string
  budget: number
  raw: Measure
  poolOne: Measure
  poolMany: Measure
}

const best = (xs: Measure[]): Measure => ({
  imgPerS: Math.max(...xs.map((x) => x.imgPerS)),
  cpuMsPerImg: Math.min(...xs.map((x) => x.cpuMsPerImg)),
})

function measure(t0: number, cpu0: NodeJS.CpuUsage, images: number): Measure {
  const wall = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  return { imgPerS: (images * 1000) / wall, cpuMsPerImg: (cpu.user + cpu.system) / 1000 / images }
}

function randomTokens(length: number, seed: number): Float32Array {
  const t = new Float32Array(length)
  let s = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    t[i] = ((s >>> 0) / 4294967296 - 0.5) * 4
  }
  return t
}

async function timeRaw(
  session: ort.InferenceSession,
  model: LoadedModel,
  budget: number,
  batch: number,
  tokens: Float32Array,
  seconds: number,
): Promise<Measure> {
  const m = model.manifest
  const feeds: Record<string, ort.Tensor> = {
    [m.io.tokens]: new ort.Tensor('float32', tokens, [batch, budget, tokenWidth(m)]),
    [m.io.positions]: new ort.Tensor('float32', positionsFor(budget).slice(), [budget, 2]),
  }
  if (m.io.question && m.question)
    feeds[m.io.question] = new ort.Tensor('int64', new BigInt64Array(batch * m.question.maxLength), [
      batch,
      m.question.maxLength,
    ])
  await session.run(feeds)
  let images = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  while (performance.now() - t0 < seconds * 1000 || images < 2 * batch) {
    await session.run(feeds)
    images += batch
  }
  return measure(t0, cpu0, images)
}

async function timePool(
  pool: InferencePool,
  model: LoadedModel,
  budget: number,
  batch: number,
  tokens: Float32Array,
  seconds: number,
  inFlight: number,
): Promise<Measure> {
  const name = model.manifest.name
  await pool.infer({ model: name, budget, tokens })
  let images = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const lane = async () => {
    while (performance.now() - t0 < seconds * 1000 || images < 2 * batch) {
      await pool.infer({ model: name, budget, tokens })
      images += batch
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane))
  return measure(t0, cpu0, images)
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} %`

function summaryLine(rows: Row[]): string {
  const worst = (pick: (r: Row) => Measure) =>
    Math.max(...rows.map((r) => 1 - pick(r).imgPerS / r.raw.imgPerS))
  const one = worst((r) => r.poolOne)
  const many = worst((r) => r.poolMany)
  const verdict = (x: number) => (x < 0.15 ? 'under the 15 % target' : 'OVER the 15 % target')
  return `Worst wall-clock pool cost over all rows: 1×T ${pct(one)} (${verdict(one)}), T×1 ${pct(many)} (${verdict(many)}).`
}

function renderMarkdown(
  rows: Row[],
  settings: string,
  command: string,
  machine: string,
  versions: string,
): string {
  const lines = [
    '## Inference',
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${machine}. Versions: ${versions}. Settings: ${settings}.`,
    '',
    'Baseline: onnxruntime-node `session.run` in the bench thread. Pool: `InferencePool` (lib/inference), the same batches',
    'sent as requests of one batch each, copied into the worker (as serving does), 2 requests per worker in flight.',
    'Figures are the best of interleaved rounds (order reversed every other round); the machine is shared with other',
    'work, so absolute rates only orient and the ratio is the figure that counts.',
    '',
    'CPU ms/img counts every thread of the process (user + system, least over the rounds); it moves less with other load',
    'than wall time but is not immune (10–20 % between runs seen here). Pool cost = 1 − pool img/s ÷ raw img/s (wall)',
    'and pool CPU ÷ raw CPU − 1 (CPU); negative means the pool was faster or cheaper in that run.',
    '',
    '| model | role | budget | raw img/s | pool 1×T img/s | pool T×1 img/s | raw CPU ms/img | pool 1×T CPU ms/img | pool T×1 CPU ms/img | pool cost 1×T wall / CPU | pool cost T×1 wall / CPU |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const cost = (p: Measure) =>
        `${pct(1 - p.imgPerS / r.raw.imgPerS)} / ${pct(p.cpuMsPerImg / r.raw.cpuMsPerImg - 1)}`
      return `| ${r.model} | ${r.role} | ${r.budget} | ${r.raw.imgPerS.toFixed(0)} | ${r.poolOne.imgPerS.toFixed(0)} | ${r.poolMany.imgPerS.toFixed(0)} | ${r.raw.cpuMsPerImg.toFixed(3)} | ${r.poolOne.cpuMsPerImg.toFixed(3)} | ${r.poolMany.cpuMsPerImg.toFixed(3)} | ${cost(r.poolOne)} | ${cost(r.poolMany)} |`
    }),
    '',
    summaryLine(rows),
    '',
  ]
  return lines.join('\n')
}

runMain('bench:inference', async () => {
  const { values } = parseArgs({
    options: {
      'models-dir': { type: 'string', default: 'models' },
      model: { type: 'string', multiple: true },
      budgets: { type: 'string' },
      batch: { type: 'string', default: '32' },
      threads: { type: 'string', default: '2' },
      seconds: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
      write: { type: 'boolean', default: false },
    },
    strict: true,
  })
  const problems: string[] = []
  const num = (name: string, raw: string, min: number) => {
    const v = Number(raw)
    if (!Number.isFinite(v) || v < min)
      problems.push(`expected a number >= ${min} for --${name} but received ${raw}`)
    return v
  }
  const batch = num('batch', values.batch, 1)
  const threads = num('threads', values.threads, 1)
  const seconds = num('seconds', values.seconds, 0.1)
  const rounds = num('rounds', values.rounds, 1)
  const budgetFilter = values.budgets?.split(',').map(Number)
  if (problems.length > 0) throw new ConfigError(problems)

  const root = values['models-dir']
  const names =
    values.model ??
    (await readdir(root, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
  const models: LoadedModel[] = []
  for (const n of names) {
    try {
      models.push(await loadModel(n.includes('/') ? n : join(root, n)))
    } catch (err) {
      process.stderr.write(`bench: skipping ${n}: ${(err as Error).message}\n`)
    }
  }
  if (models.length === 0)
    throw new ConfigError([`expected at least one model with a manifest under ${root}`])

  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} logical cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`
  const versions = `node ${process.version}, onnxruntime-node ${ort.env.versions.node ?? '?'}`
  const settings = `batch ${batch}, T = ${threads} threads in total (raw: 1 session × ${threads} intra-op; pool 1×T: 1 worker × ${threads}; pool T×1: ${threads} workers × 1), inter-op 1, spinning off, ${seconds} s per measurement, ${rounds} rounds`
  const command = `npm run bench:inference -- ${process.argv.slice(2).join(' ')}`.trim()
  process.stdout.write(`${machine}\n${versions}\n${settings}\n${command}\n`)

  const plan = models.flatMap((m) =>
    m.manifest.budgets.filter((b) => !budgetFilter || budgetFilter.includes(b)).map((b) => ({ m, b })),
  )
  const bar = new SingleBar({ format: 'bench [{bar}] {value}/{total} | {what}', stream: process.stderr })
  bar.start(plan.length * rounds * 3, 0, { what: '' })
  const rows: Row[] = []
  const options = {
    interOpNumThreads: 1,
    executionMode: 'sequential' as const,
    graphOptimizationLevel: 'all' as const,
    extra: { session: { 'intra_op.allow_spinning': '0', 'inter_op.allow_spinning': '0' } },
  }
  for (const model of models) {
    const budgets = plan.filter((p) => p.m === model).map((p) => p.b)
    if (budgets.length === 0) continue
    const session = await ort.InferenceSession.create(model.onnxPath, {
      ...options,
      intraOpNumThreads: threads,
    })
    const one = await InferencePool.start([model], {
      workers: 1,
      intraOpNumThreads: threads,
      maxBatch: batch,
    })
    const many = await InferencePool.start([model], {
      workers: threads,
      intraOpNumThreads: 1,
      maxBatch: batch,
    })
    for (const budget of budgets) {
      const tokens = randomTokens(batch * budget * tokenWidth(model.manifest), budget)
      const raw: Measure[] = []
      const poolOne: Measure[] = []
      const poolMany: Measure[] = []
      const what = `${model.manifest.name} @ ${budget}`
      const steps = [
        async () => raw.push(await timeRaw(session, model, budget, batch, tokens, seconds)),
        async () => poolOne.push(await timePool(one, model, budget, batch, tokens, seconds, 2)),
        async () => poolMany.push(await timePool(many, model, budget, batch, tokens, seconds, 2 * threads)),
      ]
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? steps : [...steps].reverse()
        for (const step of order) {
          await step()
          bar.increment(1, { what })
        }
      }
      rows.push({
        model: model.manifest.name,
        role: model.manifest.role,
        budget,
        raw: best(raw),
        poolOne: best(poolOne),
        poolMany: best(poolMany),
      })
    }
    await session.release()
    await one.close()
    await many.close()
  }
  bar.stop()

  const md = renderMarkdown(rows, settings, command, machine, versions)
  process.stdout.write(`\n${md}`)
  if (values.write) {
    const path = 'BENCHMARKS.md'
    const text = await readFile(path, 'utf8')
    const start = text.indexOf('## Inference')
    if (start < 0) throw new ConfigError([`expected a "## Inference" section in ${path}`])
    const next = text.indexOf('\n## ', start + 3)
    await writeFile(path, text.slice(0, start) + md + (next < 0 ? '' : text.slice(next + 1)))
    process.stderr.write(`bench: wrote the Inference section of ${path}\n`)
  }
})
