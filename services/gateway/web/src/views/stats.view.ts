import type uPlot from 'uplot'
import { lineEdgeHealthQuery, lineStatsQuery } from '../api/operations.ts'
import type { Agreement, EdgeHealth, Estimate, LineEdgeHealth, LineStats, Percentiles } from '../api/types.ts'
import { mountChart, palette } from '../charts/chart.ts'
import { field, h, replace } from '../ui/dom.ts'
import { errorBanner } from '../ui/error-banner.ts'
import { age, bytes, dateTime, money, ms, num, percent } from '../ui/format.ts'
import { dataTable } from '../ui/table.ts'
import type { View } from './view.ts'

/** Window lengths offered (hours); lineStats accepts up to 31 days. */
const windows = [
  { hours: 1, text: 'last hour' },
  { hours: 6, text: 'last 6 hours' },
  { hours: 24, text: 'last 24 hours' },
  { hours: 24 * 7, text: 'last 7 days' },
  { hours: 24 * 31, text: 'last 31 days' },
]
const refreshMs = 10_000

/**
 * `lineStats` over a chosen window: escalation, agreement, estimated accuracy, tokens and cost per
 * hour against the cap, latency percentiles, and the hourly buckets as a chart; above them the line's
 * edge node as it reports itself (`Line.edgeHealth`). Refreshed every 10 s.
 */
export const statsView: View = (root, ctx) => {
  const select = h(
    'select',
    { name: 'window' },
    windows.map((w) => h('option', { value: w.hours }, w.text)),
  )
  select.value = '24'
  const body = h('div', { class: 'stats' }, h('p', {}, 'Loading…'))
  const edgeBody = h('div', {}, h('p', {}, 'Asking the edge node…'))
  const edgePanel = h(
    'section',
    { class: 'edge-node', role: 'region', 'aria-label': 'Edge node' },
    h('h2', {}, 'Edge node'),
    edgeBody,
  )
  replace(
    root,
    h('h1', {}, `Window stats · ${ctx.line.name}`),
    h('div', { class: 'toolbar' }, field('Window', select)),
    edgePanel,
    body,
  )
  let destroyChart: (() => void) | undefined
  let stopped = false

  const loadEdge = async () => {
    try {
      const { line } = await ctx.client.request<{ line: LineEdgeHealth | null }>(lineEdgeHealthQuery, {
        lineId: ctx.line.id,
      })
      if (stopped) return
      renderEdge(edgeBody, line)
    } catch (err) {
      if (stopped) return
      replace(edgeBody, errorBanner(err, 'Edge node'))
    }
  }

  const load = async () => {
    void loadEdge()
    // Windows end at the next whole minute: every dashboard on this line asks the same question
    // for a minute, so the gateway's response cache (GATEWAY_RESPONSE_CACHE_MS) answers most of them.
    const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000)
    const from = new Date(to.getTime() - Number(select.value) * 3_600_000)
    try {
      const { lineStats } = await ctx.client.request<{ lineStats: LineStats }>(lineStatsQuery, {
        lineId: ctx.line.id,
        from: from.toISOString(),
        to: to.toISOString(),
      })
      if (stopped) return
      destroyChart?.()
      destroyChart = render(body, lineStats)
    } catch (err) {
      if (stopped) return
      destroyChart?.()
      destroyChart = undefined
      replace(body, errorBanner(err, 'Line stats'))
    }
  }
  select.addEventListener('change', () => void load())
  void load()
  const timer = setInterval(() => void load(), refreshMs)
  return () => {
    stopped = true
    clearInterval(timer)
    destroyChart?.()
  }
}

function render(body: HTMLElement, s: LineStats): () => void {
  const cap = s.cloudTokenCapPerHour
  const capUse = s.tokens.peakCapUsed
  replace(
    body,
    h('p', { class: 'window' }, `${dateTime(s.from)} to ${dateTime(s.to)}, local time`),
    h(
      'dl',
      { class: 'cards' },
      card(
        'Inspections',
        num(s.inspections),
        `${num(s.pending)} pending cloud · ${num(s.held)} held for review`,
      ),
      card(
        'Escalation rate',
        percent(s.escalationRate),
        `${num(s.escalated)} escalated · ${num(s.audited)} audited`,
      ),
      card(
        'Edge/cloud agreement',
        agreement(s.escalatedAgreement),
        'on escalated cases with a cloud verdict',
      ),
      card(
        'Agreement on audits',
        agreement(s.auditedAgreement),
        'confident edge cases sent anyway: unbiased',
      ),
      card(
        'Estimated edge accuracy',
        estimate(s.estimatedEdgeAccuracy),
        'from audits and reviews, 95 % Wilson interval',
      ),
      card('Accuracy on reviewed cases', estimate(s.reviewedAccuracy), 'verdict before review vs the person'),
      card(
        'Cloud tokens per hour',
        num(s.tokens.cloudTokensPerHour),
        cap === null ? 'no cap' : `cap ${num(cap)} / h · busiest hour at ${percent(capUse)}`,
        cap === null || capUse === null ? undefined : meter(capUse, 'busiest hour against the cap'),
      ),
      card(
        'Cost per hour',
        money(s.tokens.costPerHour),
        `edge ${money(s.tokens.edgeCost)} · cloud ${money(s.tokens.cloudCost)} in the window`,
      ),
    ),
    dataTable(
      ['Latency', 'cases', 'p50', 'p95', 'p99'],
      [
        latencyRow('ingest → final verdict', s.latency),
        latencyRow('edge decision', s.edgeLatency),
        latencyRow('escalation → cloud verdict', s.cloudLatency),
      ],
      'Latency percentiles (ms)',
    ),
    h(
      'div',
      { class: 'two' },
      dataTable(
        ['Verdict', 'count'],
        s.byVerdict.map((v) => [v.verdict, num(v.count)]),
        'Final verdicts',
      ),
      dataTable(
        ['Decided by', 'count'],
        s.byDecidedBy.map((d) => [d.decidedBy.toLowerCase(), num(d.count)]),
        'Where verdicts were decided',
      ),
    ),
  )
  if (s.hourly.length === 0) {
    body.append(h('p', {}, 'No inspections in this window.'))
    return () => undefined
  }
  const section = h('section', {}, h('h2', {}, 'Per hour'))
  body.append(section)
  const xs = s.hourly.map((b) => new Date(b.hour).getTime() / 1000)
  const series: uPlot.Series[] = [
    {},
    { label: 'inspections', stroke: palette[0], width: 2, scale: 'n', points: { show: true, size: 6 } },
    { label: 'escalated', stroke: palette[1], width: 2, scale: 'n', points: { show: true, size: 6 } },
    { label: 'cloud tokens', stroke: palette[2], width: 2, scale: 't', points: { show: true, size: 6 } },
  ]
  const data: (number | null)[][] = [
    xs,
    s.hourly.map((b) => b.inspections),
    s.hourly.map((b) => b.escalated),
    s.hourly.map((b) => b.cloudTokens),
  ]
  if (cap !== null) {
    series.push({ label: 'cloud token cap', stroke: palette[6], width: 1, dash: [4, 4], scale: 't' })
    data.push(xs.map(() => cap))
  }
  const chart = mountChart(
    section,
    'Inspections, escalations and cloud tokens per hour in the window, with the cap',
    {
      series,
      height: 240,
      scales: {
        // The whole window, so one busy hour is not stretched over the chart.
        x: { time: true, range: () => [new Date(s.from).getTime() / 1000, new Date(s.to).getTime() / 1000] },
        // 10 % headroom so the busiest hour's point is not clipped by the frame.
        n: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] },
        t: { range: (_u, _min, max) => [0, Math.max(1, max, cap ?? 0) * 1.1] },
      },
      axes: [
        {},
        { scale: 'n', label: 'cases', size: 56 },
        { scale: 't', side: 1, label: 'cloud tokens', size: 64, grid: { show: false } },
      ],
    },
    data as uPlot.AlignedData,
  )
  return chart.destroy
}

function renderEdge(body: HTMLElement, line: LineEdgeHealth | null): void {
  const e: EdgeHealth | null | undefined = line?.edgeHealth
  if (!line || !e) {
    replace(
      body,
      h('p', {}, 'This line has no edge node: set its edge URL (createLine) or GATEWAY_EDGE_URL.'),
    )
    return
  }
  if (!e.reachable) {
    replace(
      body,
      h(
        'p',
        { class: 'error', role: 'status' },
        h('strong', {}, 'Unreachable'),
        ` · ${e.url}`,
        h('br'),
        e.error ?? 'no answer',
      ),
    )
    return
  }
  const current = line.policy?.version ?? null
  const mismatch = current !== e.policyVersion
  replace(
    body,
    h('p', { class: 'window' }, `Reachable · ${e.nodeId ?? '—'} at ${e.url}`),
    h(
      'dl',
      { class: 'cards' },
      card('Edge', 'reachable', `node ${e.nodeId ?? '—'}`),
      card(
        'Kafka',
        e.kafkaUp ? 'up' : 'down',
        e.kafkaUp ? 'records flow to the cloud' : 'records wait in the outbox',
      ),
      card(
        'Outbox',
        `${num(e.outboxRows)} rows`,
        `${bytes(e.outboxBytes)} unsent · oldest ${e.outboxOldestAt ? `${age(e.outboxOldestAt)} old` : '—'}`,
      ),
      card('Queue', `${num(e.queueWaiting)} waiting`, `${num(e.queueActive)} being decided`),
      card(
        'Policy at the edge',
        e.policyVersion === null ? 'none' : `v${e.policyVersion}`,
        mismatch
          ? `MISMATCH: the line's current policy is ${current === null ? 'none' : `v${current}`}`
          : `matches the line's current policy`,
      ),
    ),
    e.problems.length === 0
      ? h('p', { class: 'notice' }, 'No problems reported.')
      : h(
          'div',
          { class: 'error', role: 'status' },
          h('strong', {}, 'Problems'),
          h(
            'ul',
            {},
            e.problems.map((p) => h('li', {}, p)),
          ),
        ),
  )
  if (mismatch) body.querySelector('.cards > .card:last-child')?.classList.add('mismatch')
}

function card(term: string, value: string, detail: string, extra?: HTMLElement): HTMLElement {
  return h(
    'div',
    { class: 'card' },
    h('dt', {}, term),
    h('dd', {}, h('strong', {}, value), extra, h('small', {}, detail)),
  )
}

function meter(value: number, label: string): HTMLElement {
  return h('meter', {
    min: 0,
    max: 1,
    low: 0.7,
    high: 0.95,
    optimum: 0.3,
    value: Math.min(1, value),
    'aria-label': label,
  })
}

function agreement(a: Agreement): string {
  return a.total === 0 ? '—' : `${percent(a.rate)} (${a.agree}/${a.total})`
}

function estimate(e: Estimate | null): string {
  return e === null ? '—' : `${percent(e.value)} [${percent(e.low, 0)}, ${percent(e.high, 0)}] n=${e.samples}`
}

function latencyRow(name: string, p: Percentiles): string[] {
  return [name, num(p.count), ms(p.p50), ms(p.p95), ms(p.p99)]
}
