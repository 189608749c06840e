import type { ApiError } from '../api/graphql-client.ts'
import { feedQuery, inspectionDecidedSubscription } from '../api/operations.ts'
import type { Connection, InspectionCard } from '../api/types.ts'
import { h, replace } from '../ui/dom.ts'
import { errorBanner } from '../ui/error-banner.ts'
import { time } from '../ui/format.ts'
import { confidence, decidedWhere, thumbnailCell, verdictCell, why } from './inspection-cells.ts'
import type { View } from './view.ts'

/** Rows kept on screen. */
const shown = 30
/** How often new cases are fetched (ms): pending escalations reach the gateway as results, not as decisions. */
const pollMs = 3000
/** Every how many polls the whole page is fetched again while subscribed. */
const fullEvery = 10

/**
 * The line's latest inspections, newest first. New cases come by polling (a pending escalation is
 * not a decision, so no event announces it); settled verdicts come by the `inspectionDecided`
 * subscription and replace their row in place. Without the subscription every poll refreshes
 * the whole page instead.
 */
export const feedView: View = (root, ctx) => {
  const rows = new Map<string, InspectionCard>()
  const settledNow = new Set<string>()
  const status = h('p', { class: 'live', role: 'status' }, 'connecting…')
  const errors = h('div')
  const total = h('span')
  const body = h('tbody')
  const table = h(
    'table',
    { class: 'feed', 'aria-label': 'Latest inspections' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Image', 'Received', 'Verdict', 'Confidence', 'Decided', 'Why'].map((t) =>
          h('th', { scope: 'col' }, t),
        ),
      ),
    ),
    body,
  )
  replace(
    root,
    h('h1', {}, `Live feed · ${ctx.line.name}`),
    h('div', { class: 'toolbar' }, status, total),
    errors,
    h('div', { class: 'scroll' }, table),
  )

  let subscribed = false
  let subscriptionError: ApiError | undefined
  let stopped = false
  let polls = 0

  const describeLive = () => {
    status.textContent = subscribed
      ? 'Live: verdicts arrive by subscription; new cases every 3 s.'
      : `Live by polling every 3 s${subscriptionError ? ` (subscription unavailable: ${subscriptionError.code})` : ''}.`
  }

  const draw = () => {
    const newest = [...rows.values()].sort(
      (a, b) => b.receivedAt.localeCompare(a.receivedAt) || b.id.localeCompare(a.id),
    )
    for (const old of newest.slice(shown)) rows.delete(old.id)
    replace(
      body,
      newest.slice(0, shown).map((i) =>
        h(
          'tr',
          {
            'data-id': i.id,
            'data-state': i.verdict ? 'decided' : i.disposition === 'HELD' ? 'held' : 'pending',
            class: settledNow.has(i.id) ? 'settled' : undefined,
          },
          h('td', {}, thumbnailCell(i)),
          h('td', {}, h('time', { datetime: i.receivedAt }, time(i.receivedAt))),
          h('td', {}, verdictCell(i)),
          h('td', {}, confidence(i)),
          h('td', {}, decidedWhere(i)),
          h('td', {}, why(i)),
        ),
      ),
    )
    if (rows.size === 0) body.append(h('tr', {}, h('td', { colspan: 6 }, 'No inspections on this line yet.')))
  }

  const poll = async () => {
    const newest = [...rows.values()].reduce<string | undefined>(
      (max, i) => (max === undefined || i.receivedAt > max ? i.receivedAt : max),
      undefined,
    )
    // A full page now and then even when subscribed: a verdict settled while the socket was
    // reconnecting would otherwise leave its row pending.
    polls += 1
    const incremental = subscribed && newest !== undefined && polls % fullEvery !== 0
    try {
      const { inspections } = await ctx.client.request<{ inspections: Connection<InspectionCard> }>(
        feedQuery,
        {
          lineId: ctx.line.id,
          first: shown,
          from: incremental ? newest : null,
        },
      )
      if (stopped) return
      if (!incremental) rows.clear()
      for (const { node } of inspections.edges) rows.set(node.id, node)
      if (!incremental)
        total.textContent = `${inspections.totalCount.toLocaleString('en-US')} inspections in all`
      errors.replaceChildren()
      draw()
    } catch (err) {
      if (!stopped) replace(errors, errorBanner(err, 'Latest inspections'))
    }
  }

  const unsubscribe = ctx.client.subscribe<{ inspectionDecided: InspectionCard }>(
    inspectionDecidedSubscription,
    { lineId: ctx.line.id },
    {
      onConnected: () => {
        subscribed = true
        subscriptionError = undefined
        describeLive()
      },
      onData: ({ inspectionDecided: i }) => {
        const before = rows.get(i.id)
        if (before && !before.verdict && i.verdict) settledNow.add(i.id)
        rows.set(i.id, i)
        draw()
      },
      onError: (err) => {
        subscribed = false
        subscriptionError = err
        describeLive()
      },
    },
  )

  describeLive()
  void poll()
  const timer = setInterval(() => void poll(), pollMs)
  return () => {
    stopped = true
    clearInterval(timer)
    unsubscribe()
  }
}
