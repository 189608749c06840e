import type uPlot from 'uplot'
import { policyFrontierQuery, policyQuery, recommendPolicyQuery } from '../api/operations.ts'
import type {
  Policy,
  PolicyFrontier,
  PolicyInput,
  Recommendation,
  ReplayResult,
  ReplaySource,
} from '../api/types.ts'
import { align, mountChart, palette, ticks } from '../charts/chart.ts'
import { field, h, replace } from '../ui/dom.ts'
import { errorBanner } from '../ui/error-banner.ts'
import { money, ms, percent } from '../ui/format.ts'
import { dataTable } from '../ui/table.ts'
import { toInput } from './policy-form.ts'
import { accuracyWithInterval, describeReplayPolicy, replayComparison } from './replay-summary.ts'
import type { AppContext, View } from './view.ts'

/**
 * The policy frontier: replayed accuracy against cost per 1,000 images for the Pareto-optimal
 * candidates, the line's current operating point and a recommendation (cheapest meeting a target
 * accuracy, or most accurate under a cost cap). Any candidate can be opened in the policy editor.
 */
export const frontierView: View = (root, ctx) => {
  const source = h(
    'select',
    { name: 'source' },
    h('option', { value: 'CALIBRATION' }, 'calibration set'),
    h('option', { value: 'LOGGED' }, 'logged inspections'),
  )
  const goal = h(
    'select',
    { name: 'goal' },
    h('option', { value: 'accuracy' }, 'target accuracy'),
    h('option', { value: 'cost' }, 'cost cap per 1k images'),
  )
  const target = h('input', {
    type: 'number',
    name: 'target',
    step: '0.01',
    value: '0.9',
    inputmode: 'decimal',
  })
  const recommend = h('button', { type: 'button' }, 'Recommend')
  const body = h('div', {}, h('p', {}, 'Replaying candidates…'))
  const recommendation = h('section', { 'aria-labelledby': 'rec-title' })
  replace(
    root,
    h('h1', {}, `Policy frontier · ${ctx.line.name}`),
    h(
      'div',
      { class: 'toolbar' },
      field('Replay on', source),
      field('Recommend by', goal),
      field('Target', target, 'accuracy 0–1, or cost per 1k images'),
      recommend,
    ),
    recommendation,
    body,
  )
  let stopped = false
  let destroyChart: (() => void) | undefined
  let frontier: PolicyFrontier | undefined
  let recommended: ReplayResult | null = null
  let currentPolicy: Policy | null = null

  const load = async () => {
    try {
      const [f, p] = await Promise.all([
        ctx.client.request<{ policyFrontier: PolicyFrontier }>(policyFrontierQuery, {
          lineId: ctx.line.id,
          source: source.value as ReplaySource,
        }),
        ctx.client.request<{ policy: Policy | null }>(policyQuery, { lineId: ctx.line.id }),
      ])
      if (stopped) return
      frontier = f.policyFrontier
      currentPolicy = p.policy
      draw()
    } catch (err) {
      if (stopped) return
      destroyChart?.()
      destroyChart = undefined
      replace(body, errorBanner(err, 'Policy frontier'))
    }
  }

  const draw = () => {
    if (!frontier) return
    destroyChart?.()
    const f = frontier
    const section = h(
      'section',
      {},
      h(
        'h2',
        {},
        `${f.frontier.length} Pareto-optimal of ${f.candidates} candidates over ${f.images} images (${f.dataset})`,
      ),
    )
    replace(body, section)
    const point = (r: ReplayResult) => ({ x: r.costPer1k, y: r.accuracy })
    const series: uPlot.Series[] = [
      {},
      {
        label: 'frontier',
        stroke: palette[0],
        width: 2,
        points: { show: true, size: 7, fill: palette[0] },
        spanGaps: true,
      },
      {
        label: 'current',
        stroke: palette[1],
        width: 0,
        paths: () => null,
        points: { show: true, size: 14, fill: palette[1], stroke: '#000' },
      },
      {
        label: 'recommended',
        stroke: palette[2],
        width: 0,
        paths: () => null,
        points: { show: true, size: 14, fill: palette[2], stroke: '#000' },
      },
    ]
    const chart = mountChart(
      section,
      'Replayed accuracy against cost per 1,000 images: the Pareto frontier, the current policy and the recommended one',
      {
        series,
        height: 300,
        // From zero cost, with room on the right so the current point (often the dearest) is not cut.
        scales: { x: { time: false, range: (_u, _min, max) => [0, Math.max(max, 1e-6) * 1.06] } },
        axes: [
          { label: 'cost per 1,000 images', values: ticks((t) => money(t)) },
          { label: 'accuracy', size: 60, values: ticks((t) => percent(t, 0)) },
        ],
      },
      align([
        f.frontier.map(point),
        f.current ? [point(f.current)] : [],
        recommended ? [point(recommended)] : [],
      ]),
    )
    destroyChart = chart.destroy
    section.append(
      h(
        'p',
        {},
        f.current
          ? `Current policy: ${percent(f.current.accuracy)} at ${money(f.current.costPer1k)} per 1k images.`
          : 'The line has no current policy to replay.',
      ),
      dataTable(
        ['Policy', 'Accuracy [90 %]', 'Escalation', 'Cost per 1k', 'Latency p95', ''],
        f.frontier.map((r, i) => [
          describeReplayPolicy(r.policy),
          accuracyWithInterval(r),
          percent(r.escalationRate),
          money(r.costPer1k),
          ms(r.latencyMsP95),
          editButton(ctx, r, currentPolicy, `Edit candidate ${i + 1}`),
        ]),
        'Frontier candidates, ascending by cost',
        { 'aria-label': 'Frontier candidates' },
      ),
    )
  }

  recommend.addEventListener('click', async () => {
    const value = Number(target.value)
    recommend.disabled = true
    try {
      const { recommendPolicy: r } = await ctx.client.request<{ recommendPolicy: Recommendation }>(
        recommendPolicyQuery,
        {
          lineId: ctx.line.id,
          source: source.value as ReplaySource,
          targetAccuracy: goal.value === 'accuracy' ? value : null,
          maxCostPer1k: goal.value === 'cost' ? value : null,
        },
      )
      recommended = r.recommended
      replace(
        recommendation,
        h('h2', { id: 'rec-title' }, 'Recommendation'),
        h('p', {}, r.explanation),
        r.recommended
          ? [
              replayComparison(
                [
                  ...(frontier?.current ? [{ name: 'current', result: frontier.current }] : []),
                  { name: 'recommended', result: r.recommended },
                ],
                'Recommended against current',
              ),
              editButton(
                ctx,
                r.recommended,
                currentPolicy,
                'Open the recommendation in the policy editor',
                'Open in the policy editor',
              ),
            ]
          : null,
      )
      draw()
    } catch (err) {
      replace(recommendation, errorBanner(err, 'Recommendation'))
    } finally {
      recommend.disabled = false
    }
  })
  source.addEventListener('change', () => {
    recommended = null
    recommendation.replaceChildren()
    void load()
  })
  void load()
  return () => {
    stopped = true
    destroyChart?.()
  }
}

/** Opens the editor with the candidate's knobs on top of the current policy (the rest stays as it is). */
function editButton(
  ctx: AppContext,
  r: ReplayResult,
  current: Policy | null,
  label: string,
  text = 'Edit',
): HTMLElement {
  if (!current) return h('span', {}, '')
  const button = h('button', { type: 'button', class: 'secondary', 'aria-label': label }, text)
  button.addEventListener('click', () => {
    const base = toInput(current)
    const p = r.policy
    const policy: PolicyInput = {
      ...base,
      edge: { model: p.edgeModel, budget: p.edgeBudget, ladder: p.ladder },
      cloud: { model: p.cloudModel, budget: p.cloudBudget },
      escalation: {
        ...base.escalation,
        thresholds: { minConfidence: p.minConfidence, minMargin: p.minMargin, maxEntropy: p.maxEntropy },
        auditRate: p.auditRate,
      },
      question: p.question ? base.question : null,
    }
    ctx.navigate('policy', {
      policy,
      note: `Loaded from the frontier: ${describeReplayPolicy(p)}. Preview, give a reason, then apply.`,
    })
  })
  return button
}
