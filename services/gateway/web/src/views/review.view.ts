import { modelNamesQuery, policyQuery, recordReviewMutation, reviewQueueQuery } from '../api/operations.ts'
import type { Connection, InspectionCard, Model, Policy } from '../api/types.ts'
import { h, replace } from '../ui/dom.ts'
import { errorBanner, notice } from '../ui/error-banner.ts'
import { dateTime, percent } from '../ui/format.ts'
import { thumbnailCell, verdictCell, why } from './inspection-cells.ts'
import { mayAct, type View } from './view.ts'

const pageSize = 20

/**
 * Cases waiting for a person (held, cloud disagreeing with the edge, audited), oldest first. A
 * label recorded here becomes the final verdict (decidedBy HUMAN) and feeds the accuracy estimates.
 */
export const reviewView: View = (root, ctx) => {
  const status = h('div')
  const list = h('div', { class: 'review-list' }, h('p', {}, 'Loading the queue…'))
  const count = h('p', { role: 'status' })
  replace(
    root,
    h('h1', {}, `Review queue · ${ctx.line.name}`),
    mayAct(ctx, 'OPERATOR')
      ? null
      : h(
          'p',
          { class: 'hint' },
          `Recording a review needs an operator or admin key; this key is ${ctx.me?.role.toLowerCase()}.`,
        ),
    count,
    status,
    list,
  )
  let stopped = false
  let labels: string[] = []
  let after: string | null = null
  let shown = 0

  const load = async (more: boolean) => {
    try {
      const { reviewQueue } = await ctx.client.request<{ reviewQueue: Connection<InspectionCard> }>(
        reviewQueueQuery,
        {
          lineId: ctx.line.id,
          first: pageSize,
          after: more ? after : null,
        },
      )
      if (stopped) return
      if (!more) {
        list.replaceChildren()
        shown = 0
      }
      list.querySelector('.more')?.remove()
      for (const { node } of reviewQueue.edges) list.append(caseCard(node))
      shown += reviewQueue.edges.length
      after = reviewQueue.pageInfo.endCursor
      count.textContent = `${reviewQueue.totalCount} case${reviewQueue.totalCount === 1 ? '' : 's'} waiting for a person.`
      if (shown === 0) list.append(h('p', {}, 'Nothing to review on this line.'))
      if (reviewQueue.pageInfo.hasNextPage) {
        list.append(
          h(
            'button',
            { type: 'button', class: 'secondary more', onclick: () => void load(true) },
            'Load more cases',
          ),
        )
      }
    } catch (err) {
      if (!stopped) replace(list, errorBanner(err, 'Review queue'))
    }
  }

  const caseCard = (i: InspectionCard): HTMLElement => {
    const options = [...new Set([...labels, ...(i.edge?.probabilities.map((p) => p.label) ?? [])])]
    const select = h(
      'select',
      { name: 'label', 'aria-label': `Label for inspection ${i.id}` },
      options.map((l) => h('option', { value: l }, l)),
    )
    select.value = i.cloud?.label ?? i.edge?.label ?? options[0] ?? ''
    const note = h('input', {
      type: 'text',
      name: 'note',
      maxlength: 500,
      'aria-label': `Note for inspection ${i.id}`,
      placeholder: 'note (optional)',
    })
    const submit = h('button', { type: 'submit' }, 'Record review')
    const result = h('div')
    const form = h(
      'form',
      { class: 'review-case', 'aria-label': `Inspection ${i.id}`, 'data-id': i.id },
      thumbnailCell(i),
      h(
        'div',
        { class: 'facts' },
        h(
          'p',
          {},
          h('strong', {}, `Inspection ${i.id.slice(0, 8)}`),
          ` · received ${dateTime(i.receivedAt)}`,
        ),
        h('p', {}, 'Now: ', verdictCell(i), ` · why: ${why(i)}`),
        h(
          'p',
          {},
          `Edge: ${i.edge ? `${i.edge.label} (${percent(i.edgeConfidence)}) at ${i.edge.budget ?? '?'} tokens` : '—'} · `,
          `Cloud: ${i.cloud ? `${i.cloud.label} (${percent(i.cloud.probabilities[0]?.probability)}) at ${i.cloud.budget ?? '?'} tokens` : 'no verdict'}`,
        ),
        i.question ? h('p', {}, `Question: ${i.question}`) : null,
      ),
      h('div', { class: 'label-controls' }, select, note, submit),
      result,
    )
    form.addEventListener('submit', async (event) => {
      event.preventDefault()
      submit.disabled = true
      try {
        await ctx.client.request(recordReviewMutation, {
          input: { inspectionId: i.id, label: select.value, note: note.value.trim() || null },
        })
        form.replaceWith(notice(`Inspection ${i.id.slice(0, 8)} labelled ${select.value}.`))
      } catch (err) {
        replace(result, errorBanner(err, 'Record review'))
        submit.disabled = false
      }
    })
    return form
  }

  const start = async () => {
    try {
      const [{ models }, { policy }] = await Promise.all([
        ctx.client.request<{ models: Model[] }>(modelNamesQuery),
        ctx.client.request<{ policy: Policy | null }>(policyQuery, { lineId: ctx.line.id }),
      ])
      labels = models.find((m) => m.name === policy?.edge.model)?.labels ?? models[0]?.labels ?? []
    } catch (err) {
      if (!stopped) replace(status, errorBanner(err, 'Labels of the line’s model'))
    }
    await load(false)
  }
  void start()
  return () => {
    stopped = true
  }
}
