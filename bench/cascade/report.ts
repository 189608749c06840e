/**
 * The cascade benchmark's outputs: the text table, the predicted-vs-measured table, the promise
 * verdict (plain text and Markdown alike, so BENCHMARKS.md can take them as printed) and an SVG
 * plot of accuracy against cloud tokens per 1,000 images.
 */
import type { Prediction } from './gateway-client.ts'
import type { PolicyFigures, PromiseCheck } from './metrics.ts'
import type { Family, PolicyInput } from './policies.ts'

export type ResultRow = {
  name: string
  family: Family
  question: boolean
  baseline: boolean
  pareto: boolean
  /** The policy as sent with `updatePolicy`. */
  input: PolicyInput
  measured: PolicyFigures
  predicted: Prediction
  submitSeconds: number
  settleSeconds: number
  /** POSTs resent after a reset connection, and inspections of those the edge had taken anyway (left out). */
  resent: number
  duplicates: number
}

const pct = (x: number) => `${(100 * x).toFixed(1)}`
const opt = (x: number | null) => (x === null ? '–' : pct(x))
const int = (x: number) => Math.round(x).toLocaleString('en-US')
const signed = (x: number, digits: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`

/** Pareto table (Markdown), rows ascending by cloud tokens; frontier rows in bold names. */
export function resultsTable(rows: readonly ResultRow[], labels: readonly string[]): string {
  const head = [
    'policy',
    'accuracy %',
    '1 / 2 defects %',
    ...labels.map((l) => `${l} recall %`),
    'missed defects %',
    'escalated %',
    'climbed %',
    'cloud tokens / 1k img',
    'cost / 1k img',
    'latency p50 / p99 ms',
  ]
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`]
  for (const r of [...rows].sort((a, b) => a.measured.cloudTokensPer1k - b.measured.cloudTokensPer1k)) {
    const m = r.measured
    lines.push(
      `| ${r.pareto ? `**${r.name}**` : r.name} | ${pct(m.accuracy)} | ${opt(m.accuracyOneDefect)} / ${opt(m.accuracyTwoDefects)} | ${labels.map((l) => (m.perClassRecall[l] === undefined ? '–' : pct(m.perClassRecall[l]!))).join(' | ')} | ${pct(m.missedDefectRate)} | ${pct(m.escalationRate)} | ${pct(m.climbRate)} | ${int(m.cloudTokensPer1k)} | ${m.costPer1k.toFixed(3)} | ${int(m.latencyMsP50)} / ${int(m.latencyMsP99)} |`,
    )
  }
  return lines.join('\n')
}

/** Predicted (replay over the calibration records) against measured (live run), per policy. */
export function predictionTable(rows: readonly ResultRow[]): string {
  const head = [
    'policy',
    'accuracy predicted (90 % interval) / measured / Δ pts',
    'accuracy measured on 1-defect images / Δ pts',
    'escalated % predicted / measured / Δ pts',
    'escalated % measured on 1-defect images',
    'cloud tokens / 1k predicted / measured / Δ %',
  ]
  const lines = [`| ${head.join(' | ')} |`, `|---|---:|---:|---:|---:|---:|`]
  for (const r of rows) {
    const p = r.predicted
    const m = r.measured
    const interval =
      p.accuracyLow !== null && p.accuracyHigh !== null
        ? ` (${pct(p.accuracyLow)}–${pct(p.accuracyHigh)})`
        : ''
    const tokenDelta =
      p.cloudTokensPer1k > 0
        ? `${signed((100 * (m.cloudTokensPer1k - p.cloudTokensPer1k)) / p.cloudTokensPer1k, 1)}`
        : '–'
    lines.push(
      `| ${r.name} | ${pct(p.accuracy)}${interval} / ${pct(m.accuracy)} / ${signed(100 * (m.accuracy - p.accuracy), 1)} | ${opt(m.accuracyOneDefect)}${m.accuracyOneDefect === null ? '' : ` / ${signed(100 * (m.accuracyOneDefect - p.accuracy), 1)}`} | ${pct(p.escalationRate)} / ${pct(m.escalationRate)} / ${signed(100 * (m.escalationRate - p.escalationRate), 1)} | ${opt(m.escalationRateOneDefect)} | ${int(p.cloudTokensPer1k)} / ${int(m.cloudTokensPer1k)} / ${tokenDelta} |`,
    )
  }
  return lines.join('\n')
}

/** Summary of the prediction gap over all policies: mean and largest absolute differences. */
export function predictionGap(rows: readonly ResultRow[]): {
  accuracyMeanAbs: number
  accuracyMaxAbs: number
  /** The same against the accuracy measured on the one-defect images only (the records' kind). */
  accuracyOneDefectMeanAbs: number
  accuracyOneDefectMaxAbs: number
  escalationMeanAbs: number
  escalationMaxAbs: number
  insideInterval: number
} {
  const acc = rows.map((r) => Math.abs(r.measured.accuracy - r.predicted.accuracy))
  const one = rows.flatMap((r) =>
    r.measured.accuracyOneDefect === null
      ? []
      : [Math.abs(r.measured.accuracyOneDefect - r.predicted.accuracy)],
  )
  const esc = rows.map((r) => Math.abs(r.measured.escalationRate - r.predicted.escalationRate))
  const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length)
  return {
    accuracyMeanAbs: mean(acc),
    accuracyMaxAbs: Math.max(0, ...acc),
    accuracyOneDefectMeanAbs: mean(one),
    accuracyOneDefectMaxAbs: Math.max(0, ...one),
    escalationMeanAbs: mean(esc),
    escalationMaxAbs: Math.max(0, ...esc),
    insideInterval: rows.filter(
      (r) =>
        r.predicted.accuracyLow !== null &&
        r.predicted.accuracyHigh !== null &&
        r.measured.accuracy >= r.predicted.accuracyLow &&
        r.measured.accuracy <= r.predicted.accuracyHigh,
    ).length,
  }
}

/** The promise verdict in words. */
export function promiseText(
  check: PromiseCheck,
  baselineName: string,
  interval: [number, number] | null,
): string {
  const lines = [
    `Promise: within ${pct(check.tolerance)} % of all-cloud accuracy for at most ${pct(check.maxTokenFraction)} % of all-cloud cloud tokens.`,
    `Baseline ${baselineName}: accuracy ${pct(check.baselineAccuracy)} %, ${int(check.baselineCloudTokensPer1k)} cloud tokens per 1,000 images.`,
  ]
  const say = (what: string, p: PromiseCheck['absolute']) =>
    p === null
      ? `${what}: no cascade policy reached it.`
      : `${what}: cheapest is ${p.name} at ${pct(p.accuracy)} % with ${int(p.cloudTokensPer1k)} cloud tokens per 1,000 images = ${pct(p.tokenFraction)} % of all-cloud's.`
  lines.push(
    say(
      `Within ${pct(check.tolerance)} points (absolute, accuracy ≥ ${pct(check.baselineAccuracy - check.tolerance)} %)`,
      check.absolute,
    ),
  )
  if (interval !== null && check.absolute !== null)
    lines.push(
      `  its accuracy minus all-cloud's on the same images: 90 % paired bootstrap interval ${signed(100 * interval[0], 1)} to ${signed(100 * interval[1], 1)} points.`,
    )
  lines.push(
    say(
      `Within ${pct(check.tolerance)} % relative (accuracy ≥ ${pct(check.baselineAccuracy * (1 - check.tolerance))} %)`,
      check.relative,
    ),
  )
  lines.push(`Verdict (absolute definition): ${check.met ? 'MET' : 'NOT MET'}.`)
  return lines.join('\n')
}

const familyColour: Record<Family, string> = {
  'all-edge': '#888888',
  'all-cloud': '#d62728',
  cascade: '#1f77b4',
  ladder: '#2ca02c',
  recommended: '#9467bd',
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Accuracy against cloud tokens per 1,000 images: labelled points, the frontier, the promise box. */
export function plotSvg(rows: readonly ResultRow[], check: PromiseCheck | null, title: string): string {
  const W = 900
  const H = 560
  const m = { l: 70, r: 30, t: 50, b: 60 }
  const xs = rows.map((r) => r.measured.cloudTokensPer1k)
  const ys = rows.map((r) => r.measured.accuracy)
  const xMax = Math.max(1, ...xs) * 1.05
  const yMin = Math.max(0, Math.floor((Math.min(...ys) - 0.03) * 20) / 20)
  const yMax = Math.min(1, Math.ceil((Math.max(...ys) + 0.01) * 20) / 20)
  const X = (x: number) => m.l + (x / xMax) * (W - m.l - m.r)
  const Y = (y: number) => H - m.b - ((y - yMin) / (yMax - yMin || 1)) * (H - m.t - m.b)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ]
  // Ticks at 1, 2 or 5 × a power of ten, about five of them.
  const raw = xMax / 5
  const unit = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((k) => k * unit).find((s) => s >= raw) ?? raw
  for (let x = 0; x <= xMax; x += step) {
    out.push(
      `<line x1="${X(x)}" y1="${m.t}" x2="${X(x)}" y2="${H - m.b}" stroke="#eee"/>`,
      `<text x="${X(x)}" y="${H - m.b + 16}" text-anchor="middle">${int(x)}</text>`,
    )
  }
  for (let y = yMin; y <= yMax + 1e-9; y += 0.05) {
    out.push(
      `<line x1="${m.l}" y1="${Y(y)}" x2="${W - m.r}" y2="${Y(y)}" stroke="#eee"/>`,
      `<text x="${m.l - 6}" y="${Y(y) + 4}" text-anchor="end">${pct(y)} %</text>`,
    )
  }
  out.push(
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 18}" text-anchor="middle">cloud tokens per 1,000 images (measured)</text>`,
    `<text transform="translate(18 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">accuracy (measured)</text>`,
  )
  if (check !== null) {
    // The promise's target region: at most 15 % of all-cloud's tokens, at least all-cloud − 1 point.
    const x1 = X(check.maxTokenFraction * check.baselineCloudTokensPer1k)
    const y1 = Y(Math.min(yMax, check.baselineAccuracy - check.tolerance))
    out.push(
      `<rect x="${m.l}" y="${Y(yMax)}" width="${x1 - m.l}" height="${y1 - Y(yMax)}" fill="#2ca02c" fill-opacity="0.08" stroke="#2ca02c" stroke-dasharray="4 3"/>`,
      `<text x="${m.l + 4}" y="${Y(yMax) + 14}" fill="#2ca02c">promise: ≤ ${pct(check.maxTokenFraction)} % of all-cloud tokens, ≥ all-cloud − ${pct(check.tolerance)} pts</text>`,
      `<line x1="${m.l}" y1="${Y(check.baselineAccuracy - check.tolerance)}" x2="${W - m.r}" y2="${Y(check.baselineAccuracy - check.tolerance)}" stroke="#d62728" stroke-dasharray="2 3"/>`,
    )
  }
  const frontier = rows
    .filter((r) => r.pareto)
    .sort((a, b) => a.measured.cloudTokensPer1k - b.measured.cloudTokensPer1k)
  if (frontier.length > 1)
    out.push(
      `<polyline fill="none" stroke="black" stroke-width="1.5" points="${frontier.map((r) => `${X(r.measured.cloudTokensPer1k).toFixed(1)},${Y(r.measured.accuracy).toFixed(1)}`).join(' ')}"/>`,
    )
  rows.forEach((r, i) => {
    const x = X(r.measured.cloudTokensPer1k)
    const y = Y(r.measured.accuracy)
    const c = familyColour[r.family]
    const shape = r.baseline
      ? `<rect x="${x - 5}" y="${y - 5}" width="10" height="10" fill="${c}"/>`
      : `<circle cx="${x}" cy="${y}" r="${r.question ? 5 : 4}" fill="${r.question ? 'white' : c}" stroke="${c}" stroke-width="2"/>`
    // Labels alternate above and below so close points stay readable.
    out.push(shape, `<text x="${x + 7}" y="${y + (i % 2 === 0 ? -6 : 13)}" fill="${c}">${esc(r.name)}</text>`)
  })
  const legend: [string, Family][] = [
    ['all-edge (square)', 'all-edge'],
    ['all-cloud (square)', 'all-cloud'],
    ['cascade, no ladder', 'cascade'],
    ['cascade + on-site ladder', 'ladder'],
    ['gateway recommendation', 'recommended'],
  ]
  legend.forEach(([text, f], i) => {
    const y = H - m.b - 90 + i * 15
    out.push(
      `<circle cx="${W - m.r - 250}" cy="${y - 4}" r="4" fill="${familyColour[f]}"/>`,
      `<text x="${W - m.r - 240}" y="${y}">${text}</text>`,
    )
  })
  out.push(
    `<text x="${W - m.r - 250}" y="${H - m.b - 90 + legend.length * 15}">hollow = question fused; black line = frontier</text>`,
    '</svg>',
  )
  return `${out.join('\n')}\n`
}
