/**
 * npm run eval -- --model <name|dir> --data <dir> --budgets 16,64,256 [--question "..." ...]
 *   [--compare-question] [--out report.json] [--per-image records.json] [--write-manifest] [--limit n]
 *   [--threads 2] [--batch 32] [--fit-upsampled]
 *
 * Evaluates a model at every budget on a labelled set (a generated dataset with labels.jsonl or a
 * `<dir>/<class>/*.png` folder) through the inference pool, with the serving preprocessing; prints
 * a table and writes tokenline.scaling-report.v1 JSON, one report per pass. --question may be
 * given several times (one fused pass each); with --compare-question a vision-only pass runs too
 * and the fusion table compares them on the same images. --out names the vision-only report (or
 * the only one); a fused report goes to `<out without .json>.q-<question slug>.json`.
 * --write-manifest stores the metrics (vision-only pass when there is one) and this command in
 * the model's manifest; the ONNX file and its sha256 stay as they are. --limit takes n images
 * chosen by a fixed-seed shuffle. --per-image writes every image's true label and calibrated
 * probabilities at every budget of every pass (tokenline.calibration-records.v1, the format is in
 * lib/contracts/calibration-records.v1.ts): what the gateway replays policies over.
 * Budgets whose grid exceeds the images' own (median) size are marked upsampled (`up` in the
 * table, `upsampled` in the report) and left out of the power-law fits unless --fit-upsampled.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { SingleBar } from 'cli-progress'
import { ConfigError } from '../lib/config/index.ts'
import { writeManifestMetrics } from '../lib/inference/manifest.writer.ts'
import { loadModel, resolveModelDir } from '../lib/inference/model.loader.ts'
import { runMain } from '../lib/lifecycle/index.ts'
import { formatPass } from '../lib/scaling/format-pass.ts'
import { buildCalibrationRecords } from '../lib/scaling/per-image.ts'
import { runScaling, type ScalingPass } from '../lib/scaling/scaling-run.ts'
import { medianImageSize } from '../lib/vision/dataset/image-size.ts'
import { openDataset } from '../lib/vision/dataset/open-dataset.ts'

function intArg(name: string, raw: string | undefined, problems: string[]): number | undefined {
  if (raw === undefined) return undefined
  const v = Number(raw)
  if (!Number.isSafeInteger(v) || v < 1)
    problems.push(`expected a positive integer for --${name} but received ${raw}`)
  return v
}

function quote(arg: string): string {
  return /^[\w./,=:@-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`
}

/** `limit` items chosen by a fixed-seed shuffle (so every class is represented), in dataset order. */
function sample<T>(items: readonly T[], limit: number | undefined): T[] {
  if (limit === undefined || limit >= items.length) return [...items]
  const index = Array.from(items, (_, i) => i)
  let s = 0x9e3779b9
  for (let i = index.length - 1; i > 0; i--) {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    const j = (s >>> 0) % (i + 1)
    ;[index[i], index[j]] = [index[j]!, index[i]!]
  }
  return index
    .slice(0, limit)
    .sort((a, b) => a - b)
    .map((i) => items[i]!)
}

function displayPath(dir: string): string {
  const rel = relative(process.cwd(), dir)
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? resolve(dir) : rel
}

const f3 = (v: number | undefined) => (v === undefined ? '  -  ' : v.toFixed(3))

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'question'
  )
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`

function printFusion(fused: ScalingPass): void {
  const lines = [
    `\nwhat fusing ${JSON.stringify(fused.question)} adds at equal budget (same images):`,
    'budget\tclass acc: vision → fused\tyes/no acc: read off vision class → answer head (fused)\tvision posterior → answer head',
  ]
  for (const s of fused.summaries) {
    const v = s.visionAccuracy
    const classPart =
      v === undefined ? 'n/a' : `${f3(v)} → ${f3(s.point.accuracy)} (${signed(s.point.accuracy - v)})`
    const a = s.point.visionAnswerAccuracy
    const h = s.point.answerAccuracy
    const answerPart =
      a === undefined || h === undefined
        ? 'n/a (question subject unknown)'
        : `${f3(a)} → ${f3(h)} (${signed(h - a)})`
    const pp = s.point.visionPosteriorAnswerAccuracy
    const posteriorPart =
      pp === undefined || h === undefined ? 'n/a' : `${f3(pp)} → ${f3(h)} (${signed(h - pp)})`
    lines.push(`${s.point.budget}\t${classPart}\t${answerPart}\t${posteriorPart}`)
  }
  process.stdout.write(`${lines.join('\n')}\n`)
}

runMain('eval', async () => {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      budgets: { type: 'string' },
      question: { type: 'string', multiple: true },
      'compare-question': { type: 'boolean', default: false },
      out: { type: 'string' },
      'per-image': { type: 'string' },
      'write-manifest': { type: 'boolean', default: false },
      limit: { type: 'string' },
      threads: { type: 'string' },
      batch: { type: 'string' },
      'models-dir': { type: 'string', default: 'models' },
      'fit-upsampled': { type: 'boolean', default: false },
    },
    strict: true,
  })
  const problems: string[] = []
  if (!values.model) problems.push('expected a model name or folder for --model but received nothing')
  if (!values.data) problems.push('expected a labelled dataset folder for --data but received nothing')
  const limit = intArg('limit', values.limit, problems)
  const threads = intArg('threads', values.threads, problems) ?? 2
  const batch = intArg('batch', values.batch, problems) ?? 32
  const questions = values.question ?? []
  if (values['compare-question'] && questions.length === 0)
    problems.push('expected --question "<text>" with --compare-question')
  const budgetList = values.budgets?.split(',').map((s) => Number(s.trim()))
  if (budgetList?.some((b) => !Number.isSafeInteger(b) || b < 1))
    problems.push(`expected comma-separated token budgets for --budgets but received ${values.budgets}`)
  if (problems.length > 0) throw new ConfigError(problems)

  const model = await loadModel(await resolveModelDir(values.model!, values['models-dir']))
  const budgets = budgetList ?? model.manifest.budgets
  const dataset = await openDataset(values.data!, model.manifest.labels)
  const items = sample(dataset.items, limit)
  const seeds = dataset.generated?.map((l) => l.seed).filter((s): s is number => s !== null) ?? []
  const description =
    dataset.kind === 'generated'
      ? `generated surface-defect set${seeds.length > 0 ? `, seeds ${Math.min(...seeds)}..${Math.max(...seeds)}` : ''}`
      : 'labelled folder <class>/<image>'
  const command = `npm run eval -- ${process.argv.slice(2).map(quote).join(' ')}`

  const bar = new SingleBar({
    format: 'eval [{bar}] {value}/{total} {percentage}% | eta {eta}s',
    stream: process.stderr,
  })
  bar.start(
    items.length * budgets.length * (Math.max(questions.length, 1) + (values['compare-question'] ? 1 : 0)),
    0,
  )
  const passes = await runScaling({
    model,
    items,
    dataset: { path: displayPath(dataset.dir), description },
    budgets,
    questions,
    compareQuestion: values['compare-question'],
    command,
    pool: { intraOpNumThreads: threads },
    batchSize: batch,
    onProgress: (done) => bar.update(done),
    native: { size: await medianImageSize(items), includeUpsampled: values['fit-upsampled'] },
  })
  bar.stop()

  for (const p of passes) process.stdout.write(formatPass(p))
  const plain = passes.find((p) => p.question === null)
  if (plain) for (const fused of passes) if (fused.question !== null) printFusion(fused)

  if (values.out) {
    const paths: string[] = []
    for (const p of passes) {
      const path =
        passes.length > 1 && p.question !== null
          ? values.out.replace(/(\.json)?$/, `.q-${slug(p.question)}.json`)
          : values.out
      await mkdir(dirname(path), { recursive: true })
      await writeFile(path, `${JSON.stringify(p.report, null, 2)}\n`)
      paths.push(path)
    }
    process.stderr.write(`eval: wrote ${paths.join(', ')}\n`)
  }
  if (values['per-image']) {
    const path = values['per-image']
    const records = buildCalibrationRecords({
      manifest: model.manifest,
      ids: items.map((i) => i.id),
      passes,
      dataset: { path: displayPath(dataset.dir), description },
      command,
    })
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, `${JSON.stringify(records)}\n`)
    process.stderr.write(
      `eval: wrote per-image records of ${items.length} images × ${budgets.length} budgets × ${passes.length} pass(es) to ${path}\n`,
    )
  }
  if (values['write-manifest']) {
    const primary = plain ?? passes[0]!
    const metrics = Object.fromEntries(
      primary.report.points.map((p) => [
        String(p.budget),
        {
          accuracy: round4(p.accuracy),
          perClassRecall: Object.fromEntries(
            Object.entries(p.perClass).map(([c, v]) => [c, round4(v.recall)]),
          ),
          ece: round4(p.ece),
          latencyMsPerImage: round4(p.latencyMsPerImage),
          batchSize: batch,
          samples: items.length,
        },
      ]),
    )
    await writeManifestMetrics(model.dir, metrics, command)
    process.stderr.write(
      `eval: stored metrics for budgets ${budgets.join(', ')} in ${model.dir}/manifest.json\n`,
    )
  }
})
