/**
 * Markdown tables for the model card (models/README.md) from a model's scaling reports — the
 * files `npm run eval` writes (onnxruntime-node, serving preprocessing), not PyTorch's numbers.
 *
 *   npx tsx training/card-tables.ts models/edge-vit-s [models/cloud-vit-m ...]
 *
 * Per model: accuracy, ECE, latency and per-class recall per budget; the fits error(N) = c·N^(−α)
 * (overall, per class on 1 − recall) and recall(N) = c·N^α per class, each α with its 90 %
 * bootstrap interval; and, for every report with a question, the yes/no accuracy of the fused
 * answer against the two vision-only answers (top class; posterior > 0.5) on the same images.
 * One block per dataset the reports were measured on.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type PowerLawFitV1,
  type ScalingReportV1,
  scalingReportV1,
} from '../lib/contracts/scaling-report.v1.ts'

/** toFixed without a "-0.00" for a value that rounds to zero. */
const fixed = (v: number, digits: number) => {
  const s = v.toFixed(digits)
  return /^-0\.0*$/.test(s) ? s.slice(1) : s
}
const f3 = (v: number | undefined) => (v === undefined ? '–' : fixed(v, 3))
const signed = (v: number) => {
  const t = fixed(v, 3)
  return t.startsWith('-') ? t : `+${t}`
}
const law = (x: PowerLawFitV1 | undefined) =>
  x === undefined
    ? '– | –'
    : `${fixed(x.alpha, 3)}${x.alphaInterval ? ` [${x.alphaInterval.map((v) => fixed(v, 2)).join(', ')}]` : ''} | ${x.r2 === null ? 'n/a' : fixed(x.r2, 2)}`

async function reports(dir: string): Promise<ScalingReportV1[]> {
  const files = (await readdir(dir)).filter((f) => /^scaling.*\.json$/.test(f)).sort()
  return Promise.all(
    files.map(async (f) => scalingReportV1.parse(JSON.parse(await readFile(join(dir, f), 'utf8')))),
  )
}

function visionTables(r: ScalingReportV1): string[] {
  const classes = Object.keys(r.fits.perClass)
  const out = [
    `#### ${r.model}: ${r.dataset.count} images of \`${r.dataset.path}\`, no question`,
    '',
    `| tokens N | accuracy | ECE | ms/img | ${classes.map((c) => `recall ${c}`).join(' | ')} |`,
    `|---:|---:|---:|---:|${classes.map(() => '---:|').join('')}`,
  ]
  for (const p of r.points)
    out.push(
      `| ${p.budget} | ${f3(p.accuracy)} | ${f3(p.ece)} | ${p.latencyMsPerImage.toFixed(3)} | ${classes.map((c) => f3(p.perClass[c]?.recall)).join(' | ')} |`,
    )
  out.push(
    '',
    '| fit | error(N) = c·N^(−α): α [90 % interval] | R² | recall(N) = c·N^α: α [90 % interval] | R² |',
    '|---|---|---|---|---|',
    `| overall (1 − accuracy) | ${law(r.fits.overall)} | – | – |`,
  )
  for (const c of classes)
    out.push(`| ${c} | ${law(r.fits.perClass[c])} | ${law(r.fits.perClassRecall?.[c])} |`)
  return out
}

function fusionTable(fused: ScalingReportV1[]): string[] {
  const out = [
    '| question | N | yes/no accuracy, no question: top class | no question: posterior > 0.5 | answer head, question fused | gain over top class | gain over posterior |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ]
  for (const r of fused)
    for (const p of r.points) {
      const a = p.visionAnswerAccuracy
      const pp = p.visionPosteriorAnswerAccuracy
      const h = p.answerAccuracy
      const gain = (base: number | undefined) =>
        base === undefined || h === undefined ? '–' : signed(h - base)
      out.push(`| ${r.question} | ${p.budget} | ${f3(a)} | ${f3(pp)} | ${f3(h)} | ${gain(a)} | ${gain(pp)} |`)
    }
  return out
}

for (const dir of process.argv.slice(2)) {
  const all = await reports(dir)
  const lines: string[] = []
  // One block per evaluated dataset (e.g. the test split and the two-defect test split).
  for (const path of [...new Set(all.map((r) => r.dataset.path))]) {
    const same = all.filter((r) => r.dataset.path === path)
    const plain = same.find((r) => r.question === null)
    const fused = same.filter((r) => r.question !== null)
    if (plain) lines.push(...visionTables(plain), '')
    if (fused.length > 0)
      lines.push(`#### ${fused[0]!.model}: fusion on \`${path}\``, '', ...fusionTable(fused), '')
  }
  if (lines.length === 0) lines.push(`${dir}: no scaling*.json reports`)
  process.stdout.write(`${lines.join('\n')}\n`)
}
