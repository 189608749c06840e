import type uPlot from 'uplot'
import { modelsQuery } from '../api/operations.ts'
import type { ClassPowerLawFit, Model, ScalingReport } from '../api/types.ts'
import { align, logSpace, mountChart, paddedLogRange, palette, ticks } from '../charts/chart.ts'
import { field, h, replace } from '../ui/dom.ts'
import { errorBanner } from '../ui/error-banner.ts'
import { alpha, num, percent } from '../ui/format.ts'
import { dataTable, swatch } from '../ui/table.ts'
import type { View } from './view.ts'

type Role = 'EDGE' | 'CLOUD'
const roles: Role[] = ['EDGE', 'CLOUD']
const dashed = [6, 4]

/**
 * Each model's token-scaling curve from its scaling reports: error = 1 − accuracy against tokens
 * on log–log axes with the fitted power law error(N) = c·N^(−α) (a straight line there), and
 * per-class recall against tokens with its fit; the edge (solid) and the cloud (dashed) on one
 * chart, α with its 90 % bootstrap interval in the tables beside them.
 */
export const scalingView: View = (root, ctx) => {
  const charts: (() => void)[] = []
  let stopped = false
  replace(root, h('h1', {}, 'Scaling curve'), h('p', {}, 'Loading scaling reports…'))

  ctx.client
    .request<{ models: Omit<Model, 'scalingReports'>[]; scalingReports: ScalingReport[] }>(modelsQuery)
    .then(({ models, scalingReports }) => {
      if (stopped) return
      const roleOf = new Map(models.map((m) => [m.name, m.role]))
      const reports: Record<Role, ScalingReport[]> = { EDGE: [], CLOUD: [] }
      for (const r of scalingReports) {
        const role = roleOf.get(r.model)
        if (role) reports[role].push(r)
      }
      if (reports.EDGE.length + reports.CLOUD.length === 0) {
        replace(
          root,
          h('h1', {}, 'Scaling curve'),
          h('p', {}, 'No scaling report is stored yet (npm run eval writes one).'),
        )
        return
      }
      const chosen: Record<Role, ScalingReport | undefined> = {
        EDGE: defaultReport(reports.EDGE),
        CLOUD: defaultReport(reports.CLOUD, defaultReport(reports.EDGE)?.dataset.path),
      }
      const selects = roles.map((role) => {
        const select = h(
          'select',
          { name: `${role.toLowerCase()}Report` },
          h('option', { value: '' }, 'none'),
          reports[role].map((r) => h('option', { value: r.id }, reportName(r))),
        )
        select.value = chosen[role]?.id ?? ''
        select.addEventListener('change', () => {
          chosen[role] = reports[role].find((r) => r.id === select.value)
          draw()
        })
        return field(role === 'EDGE' ? 'Edge report' : 'Cloud report', select)
      })
      const area = h('div', { class: 'scaling' })
      replace(root, h('h1', {}, 'Scaling curve'), h('div', { class: 'toolbar' }, selects), area)
      const draw = () => {
        for (const destroy of charts.splice(0)) destroy()
        area.replaceChildren()
        const picked = roles.flatMap((role) => (chosen[role] ? [{ role, report: chosen[role] }] : []))
        if (picked.length === 0) return
        drawOverall(area, picked, charts)
        drawPerClass(area, picked, charts)
      }
      draw()
    })
    .catch((err: unknown) => {
      if (!stopped) replace(root, h('h1', {}, 'Scaling curve'), errorBanner(err, 'Scaling reports'))
    })

  return () => {
    stopped = true
    for (const destroy of charts.splice(0)) destroy()
  }
}

type Picked = { role: Role; report: ScalingReport }

function drawOverall(area: HTMLElement, picked: Picked[], charts: (() => void)[]): void {
  const section = h(
    'section',
    { 'aria-labelledby': 'overall-title' },
    h('h2', { id: 'overall-title' }, 'Accuracy against tokens'),
  )
  area.append(section)
  const budgets = picked.flatMap((p) => p.report.points.map((pt) => pt.tokensPerImage))
  const curveX = logSpace(Math.min(...budgets), Math.max(...budgets), 48)
  const budgetTicks = [...new Set(budgets)].sort((a, b) => a - b)
  const columns: { x: number; y: number }[][] = []
  const series: uPlot.Series[] = [{ label: 'tokens' }]
  picked.forEach(({ role, report }, k) => {
    const color = palette[k]!
    const { c, alpha: a } = report.fit.overall
    columns.push(report.points.map((pt) => ({ x: pt.tokensPerImage, y: Math.max(1e-4, 1 - pt.accuracy) })))
    series.push({
      label: `${report.model} measured`,
      stroke: color,
      width: 0,
      paths: () => null,
      points: { show: true, size: 8, fill: color, stroke: color },
    })
    columns.push(curveX.map((x) => ({ x, y: Math.max(1e-4, c * x ** -a) })))
    series.push({
      label: `${report.model} fit`,
      stroke: color,
      width: 2,
      dash: role === 'CLOUD' ? dashed : undefined,
      points: { show: false },
      spanGaps: true,
    })
  })
  const chart = mountChart(
    section,
    'Error against vision tokens on log–log axes, measured points and fitted power law, edge and cloud',
    {
      series,
      legend: { show: false },
      scales: { x: { time: false, distr: 3, log: 2, range: paddedLogRange() }, y: { distr: 3, log: 10 } },
      axes: [
        { label: 'vision tokens N (log)', splits: () => budgetTicks, values: ticks((t) => num(t)) },
        {
          label: 'error = 1 − accuracy (log)',
          size: 64,
          values: ticks((t) => percent(t, t < 0.01 ? 2 : 0)),
        },
      ],
    },
    align(columns),
  )
  charts.push(chart.destroy)
  section.append(
    dataTable(
      ['Model', 'Report', 'α [90 % interval]', 'c', 'R²', 'Accuracy at budgets'],
      picked.map(({ role, report }, k) => [
        swatch(palette[k]!, role === 'CLOUD', `${report.model} (${role.toLowerCase()})`),
        reportName(report),
        alpha(report.fit.overall),
        report.fit.overall.c.toPrecision(3),
        report.fit.overall.r2 === null ? '—' : report.fit.overall.r2.toFixed(3),
        report.points.map((pt) => `${pt.budget}: ${percent(pt.accuracy)}`).join(', '),
      ]),
      'Fitted power law error(N) = c·N^(−α) per model',
    ),
  )
}

function drawPerClass(area: HTMLElement, picked: Picked[], charts: (() => void)[]): void {
  const section = h(
    'section',
    { 'aria-labelledby': 'class-title' },
    h('h2', { id: 'class-title' }, 'Per-class recall against tokens'),
  )
  area.append(section)
  const labels = [
    ...new Set(picked.flatMap((p) => p.report.points.flatMap((pt) => pt.perClass.map((c) => c.label)))),
  ]
  const budgets = picked.flatMap((p) => p.report.points.map((pt) => pt.tokensPerImage))
  const curveX = logSpace(Math.min(...budgets), Math.max(...budgets), 48)
  const budgetTicks = [...new Set(budgets)].sort((a, b) => a - b)
  const columns: { x: number; y: number }[][] = []
  const series: uPlot.Series[] = [{ label: 'tokens' }]
  for (const { role, report } of picked) {
    labels.forEach((label, k) => {
      const color = palette[k % palette.length]!
      columns.push(
        report.points.flatMap((pt) => {
          const recall = pt.perClass.find((c) => c.label === label)?.recall
          return recall === undefined ? [] : [{ x: pt.tokensPerImage, y: recall }]
        }),
      )
      series.push({
        label: `${label} ${report.model}`,
        stroke: color,
        width: 0,
        paths: () => null,
        points: {
          show: true,
          size: role === 'CLOUD' ? 6 : 8,
          fill: role === 'CLOUD' ? '#fff' : color,
          stroke: color,
        },
      })
      const recallAt = recallFit(report, label)
      columns.push(recallAt ? curveX.map((x) => ({ x, y: recallAt(x) })) : [])
      series.push({
        label: `${label} ${report.model} fit`,
        stroke: color,
        width: 1.5,
        dash: role === 'CLOUD' ? dashed : undefined,
        points: { show: false },
        spanGaps: true,
      })
    })
  }
  const chart = mountChart(
    section,
    'Recall of each class against vision tokens, log x axis, measured points and fitted curves, edge solid and cloud dashed',
    {
      series,
      legend: { show: false },
      scales: { x: { time: false, distr: 3, log: 2, range: paddedLogRange() }, y: { range: [0, 1] } },
      axes: [
        { label: 'vision tokens N (log)', splits: () => budgetTicks, values: ticks((t) => num(t)) },
        { label: 'recall', size: 56, values: ticks((t) => percent(t, 0)) },
      ],
    },
    align(columns),
  )
  charts.push(chart.destroy)
  section.append(
    dataTable(
      [
        'Class',
        ...picked.map((p) => `${p.report.model} α [90 %]`),
        ...picked.map((p) => `${p.report.model} recall at ${p.report.points.at(-1)?.budget ?? '?'}`),
      ],
      labels.map((label, k) => [
        swatch(palette[k % palette.length]!, false, label),
        ...picked.map((p) => classAlpha(p.report, label)),
        ...picked.map((p) =>
          percent(p.report.points.at(-1)?.perClass.find((c) => c.label === label)?.recall),
        ),
      ]),
      'Per-class power-law exponent: recall(N) = c·N^α where the report has it, else from error(N) = c·N^(−α); solid lines edge, dashed cloud',
    ),
  )
}

/** recall(N) from the report's recall-form fit, else from its error-form fit. */
function recallFit(report: ScalingReport, label: string): ((n: number) => number) | undefined {
  const direct = report.fit.perClassRecall.find((f) => f.label === label)
  if (direct) return (n) => Math.min(1, direct.c * n ** direct.alpha)
  const error = report.fit.perClass.find((f) => f.label === label)
  if (error) return (n) => Math.max(0, 1 - error.c * n ** -error.alpha)
  return undefined
}

function classAlpha(report: ScalingReport, label: string): string {
  const fit: ClassPowerLawFit | undefined =
    report.fit.perClassRecall.find((f) => f.label === label) ??
    report.fit.perClass.find((f) => f.label === label)
  return fit ? alpha(fit) : '—'
}

/** The vision-only report on `dataset` if there is one, else the newest vision-only, else the newest. */
function defaultReport(reports: ScalingReport[], dataset?: string): ScalingReport | undefined {
  const byNewest = [...reports].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
  const visionOnly = byNewest.filter((r) => r.question === null)
  return visionOnly.find((r) => r.dataset.path === dataset) ?? visionOnly[0] ?? byNewest[0]
}

function reportName(r: ScalingReport): string {
  const set = r.dataset.path.split('/').filter(Boolean).at(-1) ?? r.dataset.path
  return `${r.model} · ${set} (${r.dataset.count} images)${r.question ? ` · “${r.question}”` : ''}`
}
