import type { ReplayResult } from '../api/types.ts'
import { h } from '../ui/dom.ts'
import { money, ms, num, percent } from '../ui/format.ts'
import { dataTable } from '../ui/table.ts'

/** The candidate's knobs in one line: edge budget and ladder, thresholds, cloud budget, audit rate. */
export function describeReplayPolicy(p: ReplayResult['policy']): string {
  const rules = [
    p.minConfidence !== null ? `conf < ${p.minConfidence}` : '',
    p.minMargin !== null ? `margin < ${p.minMargin}` : '',
    p.maxEntropy !== null ? `entropy > ${p.maxEntropy}` : '',
  ].filter(Boolean)
  const ladder = p.ladder.length > 0 ? ` → ${p.ladder.join(' → ')}` : ''
  return `edge ${p.edgeBudget}${ladder}, escalate if ${rules.join(' or ') || 'never'}, cloud ${p.cloudBudget}${p.question ? ' + question' : ''}, audit ${percent(p.auditRate)}`
}

export function accuracyWithInterval(r: ReplayResult): string {
  const interval =
    r.accuracyLow !== null && r.accuracyHigh !== null
      ? ` [${percent(r.accuracyLow)}, ${percent(r.accuracyHigh)}]`
      : ''
  return `${percent(r.accuracy)}${interval}`
}

/** Replayed figures side by side (e.g. current and proposed), one column each. */
export function replayComparison(
  columns: { name: string; result: ReplayResult }[],
  caption: string,
): HTMLElement {
  const row = (name: string, f: (r: ReplayResult) => string) => [name, ...columns.map((c) => f(c.result))]
  const labels = [...new Set(columns.flatMap((c) => c.result.perClassRecall.map((v) => v.label)))]
  return dataTable(
    ['', ...columns.map((c) => c.name)],
    [
      row('Policy', (r) => describeReplayPolicy(r.policy)),
      row('Images replayed', (r) => `${num(r.images)} (${r.source.toLowerCase()})`),
      row('Accuracy [90 %]', accuracyWithInterval),
      row('Escalation rate', (r) => percent(r.escalationRate)),
      row('Climbed the ladder', (r) => percent(r.climbRate)),
      row('Edge tokens per 1k images', (r) => num(r.edgeTokensPer1k)),
      row('Cloud tokens per 1k images', (r) => num(r.cloudTokensPer1k)),
      row('Cost per 1k images', (r) => money(r.costPer1k)),
      row('Latency mean / p95', (r) => `${ms(r.latencyMsMean)} / ${ms(r.latencyMsP95)}`),
      row('On the frontier', (r) => (r.pareto ? 'yes' : 'no')),
      ...labels.map((label) =>
        row(`Recall ${label}`, (r) => percent(r.perClassRecall.find((v) => v.label === label)?.value)),
      ),
    ],
    caption,
    { class: 'data replay' },
  )
}

export function emptyNote(text: string): HTMLElement {
  return h('p', { class: 'hint' }, text)
}
