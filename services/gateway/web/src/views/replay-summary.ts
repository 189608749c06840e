import type { ReplayResult } from '../api/types.ts'
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
  return `edge ${p.edgeBudget}${ladder}, ${rules.length ? `escalate if ${rules.join(' or ')}` : 'no escalation rule'}, cloud ${p.cloudBudget}${p.question ? ' + question' : ''}, audit ${percent(p.auditRate)}`
}

export function accuracyWithInterval(r: ReplayResult): string {
  const interval =
    r.accuracyLow !== null && r.accuracyHigh !== null
      ? ` [${percent(r.accuracyLow)}, ${percent(r.accuracyHigh)}]`
      : ''
  return `${percent(r.accuracy)}${interval}`
}

/**
 * Replayed figures side by side (e.g. current and proposed), one column each; with two columns a
 * third gives the change from the first to the second.
 */
export function replayComparison(
  columns: { name: string; result: ReplayResult }[],
  caption: string,
): HTMLElement {
  const pair = columns.length === 2 ? ([columns[0]!.result, columns[1]!.result] as const) : undefined
  const row = (
    name: string,
    f: (r: ReplayResult) => string,
    change?: (a: ReplayResult, b: ReplayResult) => string,
  ) => [name, ...columns.map((c) => f(c.result)), ...(pair ? [change ? change(pair[0], pair[1]) : ''] : [])]
  const points = (a: number, b: number) => signed((b - a) * 100, 1, ' pt')
  const labels = [...new Set(columns.flatMap((c) => c.result.perClassRecall.map((v) => v.label)))]
  const recall = (r: ReplayResult, label: string) => r.perClassRecall.find((v) => v.label === label)?.value
  return dataTable(
    ['', ...columns.map((c) => c.name), ...(pair ? ['change'] : [])],
    [
      row('Policy', (r) => describeReplayPolicy(r.policy)),
      row('Images replayed', (r) => `${num(r.images)} (${r.source.toLowerCase()})`),
      row('Accuracy [90 %]', accuracyWithInterval, (a, b) => points(a.accuracy, b.accuracy)),
      row(
        'Escalation rate',
        (r) => percent(r.escalationRate),
        (a, b) => points(a.escalationRate, b.escalationRate),
      ),
      row(
        'Climbed the ladder',
        (r) => percent(r.climbRate),
        (a, b) => points(a.climbRate, b.climbRate),
      ),
      row(
        'Edge tokens per 1k images',
        (r) => num(r.edgeTokensPer1k),
        (a, b) => signed(b.edgeTokensPer1k - a.edgeTokensPer1k, 0),
      ),
      row(
        'Cloud tokens per 1k images',
        (r) => num(r.cloudTokensPer1k),
        (a, b) => signed(b.cloudTokensPer1k - a.cloudTokensPer1k, 0),
      ),
      row(
        'Cost per 1k images',
        (r) => money(r.costPer1k),
        (a, b) => signed(b.costPer1k - a.costPer1k, 2),
      ),
      row(
        'Latency mean / p95',
        (r) => `${ms(r.latencyMsMean)} / ${ms(r.latencyMsP95)}`,
        (a, b) => signed(b.latencyMsP95 - a.latencyMsP95, 0, ' ms p95'),
      ),
      row('On the frontier', (r) => (r.pareto ? 'yes' : 'no')),
      ...labels.map((label) =>
        row(
          `Recall ${label}`,
          (r) => percent(recall(r, label)),
          (a, b) => {
            const x = recall(a, label)
            const y = recall(b, label)
            return x === undefined || y === undefined ? '' : points(x, y)
          },
        ),
      ),
    ],
    caption,
    { class: 'data replay' },
  )
}

/** `+1.2 pt`, `−30`, `±0`: a difference with its sign. */
function signed(value: number, digits: number, unit = ''): string {
  const rounded = Number(value.toFixed(digits))
  if (rounded === 0) return `±0${unit}`
  return `${rounded > 0 ? '+' : '−'}${Math.abs(rounded).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}${unit}`
}
