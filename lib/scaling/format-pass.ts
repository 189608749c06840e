import type { PowerLawFitV1 } from '../contracts/scaling-report.v1.ts'
import type { ScalingPass } from './scaling-run.ts'

const f3 = (v: number | undefined) => (v === undefined ? '  -  ' : v.toFixed(3))

const law = (x: PowerLawFitV1 | undefined) =>
  x === undefined
    ? 'n/a'
    : `c=${x.c.toFixed(3)} α=${x.alpha.toFixed(3)}${x.alphaInterval ? ` [${x.alphaInterval.map((v) => v.toFixed(3)).join(', ')}]` : ''} R²=${x.r2 === null ? 'n/a' : x.r2.toFixed(3)}`

/**
 * One evaluation pass as the text table `npm run eval` and `npm run train` print: a row per
 * budget (accuracy, ECE, latency, per-class recall; `up` after the budget when its grid exceeds the
 * images' own resolution), then the fitted power laws and the notes. Ends with a newline.
 */
export function formatPass(pass: ScalingPass, extraColumns: Record<number, string> = {}): string {
  const r = pass.report
  const classes = Object.keys(r.fits.perClass)
  const extraHead = Object.keys(extraColumns).length > 0
  const native = r.dataset.nativeSize
  const lines = [
    `\n${r.model} on ${r.dataset.path} (${r.dataset.count} images${native ? `, ${native.width}×${native.height} px` : ''}), question: ${r.question === null ? 'none' : JSON.stringify(r.question)}`,
    [
      'budget',
      'acc',
      ...(extraHead ? ['baseline'] : []),
      'ECE',
      'ms/img',
      ...(r.question !== null ? ['answer'] : []),
      '|',
      ...classes.map((c) => c.padEnd(7)),
    ].join('\t'),
  ]
  for (const p of r.points)
    lines.push(
      [
        `${p.budget}${p.upsampled ? ' up' : ''}`,
        f3(p.accuracy),
        ...(extraHead ? [extraColumns[p.budget] ?? ''] : []),
        f3(p.ece),
        p.latencyMsPerImage.toFixed(3),
        ...(r.question !== null ? [f3(p.answerAccuracy)] : []),
        '|',
        ...classes.map((c) => f3(p.perClass[c]?.recall)),
      ].join('\t'),
    )
  const fitted = r.fits.budgets ? ` over budgets ${r.fits.budgets.join(', ')}` : ''
  lines.push(
    `error(N) = c·N^(−α) overall${fitted}: ${law(r.fits.overall)}   (α with its 90 % bootstrap interval)`,
  )
  lines.push(`per class: error(N) = c·N^(−α) on 1 − recall   |   recall(N) = c·N^α`)
  for (const c of classes)
    lines.push(`  ${c.padEnd(8)} ${law(r.fits.perClass[c])}   |   ${law(r.fits.perClassRecall?.[c])}`)
  for (const n of pass.notes) lines.push(`  note: ${n}`)
  return `${lines.join('\n')}\n`
}
