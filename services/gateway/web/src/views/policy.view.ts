import {
  modelNamesQuery,
  policyChangedSubscription,
  policyHistoryQuery,
  policyQuery,
  replayPolicyQuery,
  rollbackPolicyMutation,
  updatePolicyMutation,
} from '../api/operations.ts'
import type { Model, Policy, PolicyInput, ReplayResult, ReplaySource } from '../api/types.ts'
import { field, h, replace } from '../ui/dom.ts'
import { errorBanner, notice } from '../ui/error-banner.ts'
import { dateTime, money, percent } from '../ui/format.ts'
import { dataTable } from '../ui/table.ts'
import { policyForm, toInput } from './policy-form.ts'
import { replayComparison } from './replay-summary.ts'
import { mayAct, type View } from './view.ts'

/**
 * The line's policy: the current version, an editor (admin) whose change is replayed before it
 * can be applied, and the version history with rollback. A new version from anywhere (another
 * tab, the API) arrives by the `policyChanged` subscription and refreshes the page's figures.
 */
export const policyView: View = (root, ctx) => {
  const current = h('section', { 'aria-labelledby': 'current-title' })
  const editor = h('section', { 'aria-labelledby': 'editor-title' })
  const history = h('section', { 'aria-labelledby': 'history-title' })
  replace(root, h('h1', {}, `Policy · ${ctx.line.name}`), current, editor, history)
  let stopped = false
  let models: Model[] = []
  let currentPolicy: Policy | null = null

  const loadCurrent = async () => {
    const { policy } = await ctx.client.request<{ policy: Policy | null }>(policyQuery, {
      lineId: ctx.line.id,
    })
    currentPolicy = policy
    replace(
      current,
      h('h2', { id: 'current-title' }, 'Current policy'),
      policy ? policySummary(policy) : h('p', {}, 'This line has no policy yet.'),
    )
  }

  const loadHistory = async () => {
    try {
      const { policyHistory } = await ctx.client.request<{ policyHistory: Policy[] }>(policyHistoryQuery, {
        lineId: ctx.line.id,
        first: 50,
      })
      if (!stopped) drawHistory(policyHistory)
    } catch (err) {
      if (!stopped) replace(historyTable, errorBanner(err, 'Policy history'))
    }
  }

  // The reason field and the status line outlive redraws of the table (a policyChanged event
  // redraws it at any time), so neither what a person typed nor the last answer is lost.
  const rollbackReason = h('input', { type: 'text', name: 'rollbackReason', maxlength: 500 })
  const historyStatus = h('div')
  const historyTable = h('div')
  replace(
    history,
    h('h2', { id: 'history-title' }, 'History'),
    field('Rollback reason', rollbackReason, 'recorded with the new version'),
    historyStatus,
    historyTable,
  )

  const rollback = async (version: number, button: HTMLButtonElement) => {
    if (rollbackReason.value.trim() === '') {
      replace(
        historyStatus,
        h('p', { class: 'error', role: 'alert' }, 'Give a reason for the rollback first.'),
      )
      rollbackReason.focus()
      return
    }
    button.disabled = true
    try {
      const { rollbackPolicy } = await ctx.client.request<{ rollbackPolicy: Policy }>(
        rollbackPolicyMutation,
        {
          lineId: ctx.line.id,
          toVersion: version,
          reason: rollbackReason.value.trim(),
        },
      )
      rollbackReason.value = ''
      replace(
        historyStatus,
        notice(`Version ${rollbackPolicy.version} restores version ${version}; published to the edges.`),
      )
      await refresh()
    } catch (err) {
      replace(historyStatus, errorBanner(err, `Rollback to version ${version}`))
    } finally {
      button.disabled = false
    }
  }

  const drawHistory = (versions: Policy[]) => {
    const latest = versions[0]?.version
    replace(
      historyTable,
      dataTable(
        ['Version', 'Created', 'Author', 'Reason', 'Policy', ''],
        versions.map((p) => {
          const button = h(
            'button',
            { type: 'button', class: 'secondary' },
            `Roll back to version ${p.version}`,
          )
          button.addEventListener('click', () => void rollback(p.version, button))
          return [
            `v${p.version}${p.rolledBackTo !== null ? ` (= v${p.rolledBackTo})` : ''}`,
            dateTime(p.createdAt),
            p.author,
            p.reason,
            shortPolicy(p),
            p.version === latest ? h('span', { class: 'hint' }, 'current') : button,
          ]
        }),
        'Policy versions, newest first',
        { 'aria-label': 'Policy history' },
      ),
    )
  }

  /** The version the editor was filled from (undefined: a draft from elsewhere), and whether it is unedited. */
  let editorVersion: number | undefined
  let editorUnedited = () => false

  /** A newer version (a rollback, another tab) replaces the editor's content unless someone is editing it. */
  const followCurrent = () => {
    if (!currentPolicy || editorVersion === undefined || currentPolicy.version === editorVersion) return
    if (!editorUnedited()) return
    drawEditor(
      toInput(currentPolicy),
      `Showing version ${currentPolicy.version} (${currentPolicy.reason}).`,
      currentPolicy.version,
    )
  }

  const drawEditor = (initial: PolicyInput, note?: string, fromVersion?: number) => {
    const form = policyForm(initial, models)
    const filledWith = JSON.stringify(form.read())
    editorVersion = fromVersion
    editorUnedited = () => JSON.stringify(form.read()) === filledWith
    const reason = h('textarea', { name: 'reason', rows: 2, maxlength: 500, required: true })
    const source = h(
      'select',
      { name: 'source' },
      h('option', { value: 'CALIBRATION' }, 'calibration set'),
      h('option', { value: 'LOGGED' }, 'logged inspections'),
    )
    const preview = h('button', { type: 'button' }, 'Preview replay')
    const apply = h('button', { type: 'button', disabled: true }, 'Apply policy')
    const replayOut = h('div', { class: 'replay-out', 'aria-live': 'polite' })
    const status = h('div')
    let previewed: string | undefined
    const sync = () => {
      apply.disabled =
        previewed === undefined || previewed !== JSON.stringify(form.read()) || reason.value.trim() === ''
    }
    form.onChange(sync)
    reason.addEventListener('input', sync)

    preview.addEventListener('click', async () => {
      const proposed = form.read()
      preview.disabled = true
      replace(replayOut, 'Replaying…')
      const replay = (policy: PolicyInput) =>
        ctx.client.request<{ replayPolicy: ReplayResult }>(replayPolicyQuery, {
          lineId: ctx.line.id,
          policy,
          source: source.value as ReplaySource,
        })
      try {
        const [mine, theirs] = await Promise.allSettled([
          replay(proposed),
          currentPolicy ? replay(toInput(currentPolicy)) : Promise.reject(new Error('no current policy')),
        ])
        if (mine.status === 'rejected') {
          replace(
            replayOut,
            errorBanner(mine.reason, 'Replay of the edited policy'),
            h('p', { class: 'hint' }, 'The change can still be applied, without a replayed estimate.'),
          )
        } else {
          const columns = [
            ...(theirs.status === 'fulfilled'
              ? [{ name: `current (v${currentPolicy?.version})`, result: theirs.value.replayPolicy }]
              : []),
            { name: 'edited', result: mine.value.replayPolicy },
          ]
          replace(replayOut, replayComparison(columns, 'Replayed effect of the change'))
        }
        previewed = JSON.stringify(proposed)
      } finally {
        preview.disabled = false
        sync()
      }
    })

    apply.addEventListener('click', async () => {
      apply.disabled = true
      try {
        const { updatePolicy } = await ctx.client.request<{ updatePolicy: Policy }>(updatePolicyMutation, {
          lineId: ctx.line.id,
          policy: form.read(),
          reason: reason.value.trim(),
        })
        await refresh()
        if (stopped) return
        drawEditor(
          toInput(currentPolicy ?? updatePolicy),
          `Version ${updatePolicy.version} stored and published to the edges.`,
          currentPolicy?.version ?? updatePolicy.version,
        )
      } catch (err) {
        replace(status, errorBanner(err, 'Apply policy'))
      } finally {
        sync()
      }
    })

    replace(
      editor,
      h('h2', { id: 'editor-title' }, 'Edit policy'),
      mayAct(ctx, 'ADMIN')
        ? null
        : h(
            'p',
            { class: 'hint' },
            `Changing a policy needs an admin key; this key is ${ctx.me?.role.toLowerCase()}, so the gateway will refuse it. Replays are open to every key.`,
          ),
      note ? notice(note) : null,
      form.element,
      h(
        'div',
        { class: 'actions' },
        field('Reason for the change', reason),
        field('Replay on', source),
        preview,
        apply,
      ),
      h(
        'p',
        { class: 'hint' },
        'Apply is enabled once the edited policy has been replayed and a reason is given.',
      ),
      status,
      replayOut,
    )
  }

  const refresh = async () => {
    await Promise.all([
      loadCurrent().catch((err: unknown) =>
        replace(
          current,
          h('h2', { id: 'current-title' }, 'Current policy'),
          errorBanner(err, 'Current policy'),
        ),
      ),
      loadHistory(),
    ])
    if (!stopped) followCurrent()
  }

  const start = async () => {
    try {
      models = (await ctx.client.request<{ models: Model[] }>(modelNamesQuery)).models
      await refresh()
      if (stopped) return
      const initial = ctx.draft?.policy ?? (currentPolicy ? toInput(currentPolicy) : undefined)
      if (initial) drawEditor(initial, ctx.draft?.note, ctx.draft ? undefined : currentPolicy?.version)
      else
        replace(
          editor,
          h('h2', { id: 'editor-title' }, 'Edit policy'),
          h('p', {}, 'No policy to start from.'),
        )
    } catch (err) {
      if (!stopped) replace(editor, errorBanner(err, 'Policy'))
    }
  }
  void start()

  const unsubscribe = ctx.client.subscribe(
    policyChangedSubscription,
    { lineId: ctx.line.id },
    {
      onData: () => void refresh(),
      onError: () => undefined,
    },
  )
  return () => {
    stopped = true
    unsubscribe()
  }
}

function shortPolicy(p: Policy): string {
  const t = p.escalation.thresholds
  const rules = [
    t.minConfidence !== null ? `conf<${t.minConfidence}` : '',
    t.minMargin !== null ? `margin<${t.minMargin}` : '',
    t.maxEntropy !== null ? `H>${t.maxEntropy}` : '',
  ].filter(Boolean)
  const ladder = p.edge.ladder.length ? `→${p.edge.ladder.join('→')}` : ''
  return `edge ${p.edge.budget}${ladder} · ${rules.join(' ') || 'no rule'} · cloud ${p.cloud.budget} · audit ${percent(p.escalation.auditRate)}`
}

function policySummary(p: Policy): HTMLElement {
  return h(
    'div',
    { class: 'policy-summary' },
    h('p', {}, `Version ${p.version}, ${dateTime(p.createdAt)} by ${p.author}: ${p.reason}`),
    h(
      'dl',
      { class: 'kv' },
      kv(
        'Edge',
        `${p.edge.model} at ${p.edge.budget} tokens${p.edge.ladder.length ? `, ladder ${p.edge.ladder.join(' → ')}` : ''}`,
      ),
      kv(
        'Cloud',
        `${p.cloud.model} at ${p.cloud.budget} tokens${p.question ? `, question “${p.question}”` : ''}`,
      ),
      kv('Escalation', shortPolicy(p)),
      kv('Always escalate', p.escalation.alwaysEscalate.join(', ') || 'none'),
      kv(
        'Cloud cap',
        p.cloudTokenCapPerHour === null
          ? 'none'
          : `${p.cloudTokenCapPerHour} tokens/h, then ${p.atCap.toLowerCase().replace('_', ' ')}`,
      ),
      kv('Deadline', `${p.deadlineMs} ms, then ${p.pastDeadline.toLowerCase().replace('_', ' ')}`),
      kv(
        'Prices per 1k tokens',
        `edge ${money(p.costPer1kTokens.edge)}, cloud ${money(p.costPer1kTokens.cloud)}`,
      ),
      kv(
        'Egress',
        `${p.egress.mode.toLowerCase()}${p.egress.mode === 'REGION' ? ` (+${p.egress.regionMarginPatches} patches)` : ''}`,
      ),
    ),
    p.warnings.length
      ? h(
          'ul',
          { class: 'warnings', 'aria-label': 'Warnings' },
          p.warnings.map((w) => h('li', {}, w)),
        )
      : null,
  )
}

function kv(term: string, value: string): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, value)]
}
