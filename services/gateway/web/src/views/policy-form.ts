import type { EgressMode, Fallback, Model, Policy, PolicyInput, Thresholds } from '../api/types.ts'
import { field, h, replace } from '../ui/dom.ts'

const fallbacks: Fallback[] = ['EDGE_VERDICT', 'HOLD']
const egressModes: EgressMode[] = ['WHOLE', 'REGION', 'NONE']

export type PolicyForm = {
  element: HTMLElement
  /** The form's content as schema.graphql's PolicyInput; blank optional numbers become null. */
  read: () => PolicyInput
  /** Called after every edit. */
  onChange: (listener: () => void) => void
}

/**
 * Every field of PolicyInput as labelled controls, filled from `initial`. Budgets and labels come
 * from the registered models, so the form offers only what the models support; the gateway
 * still validates everything (field-level messages come back as BAD_USER_INPUT).
 */
export function policyForm(initial: PolicyInput, models: Model[]): PolicyForm {
  const listeners: (() => void)[] = []
  const changed = () => {
    for (const l of listeners) l()
  }
  const edgeModels = models.filter((m) => m.role === 'EDGE')
  const cloudModels = models.filter((m) => m.role === 'CLOUD')
  const modelOf = (name: string) => models.find((m) => m.name === name)

  const edgeModel = modelSelect('edgeModel', edgeModels, initial.edge.model)
  const edgeBudget = h('select', { name: 'edgeBudget' })
  const ladderBox = h('div', { class: 'checks' })
  const cloudModel = modelSelect('cloudModel', cloudModels, initial.cloud.model)
  const cloudBudget = h('select', { name: 'cloudBudget' })
  let ladder = new Set(initial.edge.ladder)

  const fillBudgets = (select: HTMLSelectElement, model: string, value: number) => {
    const budgets = modelOf(model)?.budgets ?? [value]
    replace(
      select,
      [...new Set([...budgets, value])]
        .sort((a, b) => a - b)
        .map((b) => h('option', { value: b }, `${b} tokens`)),
    )
    select.value = String(value)
  }
  const fillLadder = () => {
    const budget = Number(edgeBudget.value)
    const budgets = modelOf(edgeModel.value)?.budgets ?? []
    ladder = new Set([...ladder].filter((b) => b > budget))
    replace(
      ladderBox,
      budgets
        .filter((b) => b > budget)
        .map((b) => {
          const box = h('input', { type: 'checkbox', name: 'ladder', value: b, checked: ladder.has(b) })
          box.addEventListener('change', () => {
            if (box.checked) ladder.add(b)
            else ladder.delete(b)
          })
          return h('label', { class: 'check' }, box, `${b} tokens`)
        }),
    )
    if (ladderBox.childElementCount === 0)
      ladderBox.append(h('span', { class: 'hint' }, 'no higher budget on this model'))
  }
  fillBudgets(edgeBudget, initial.edge.model, initial.edge.budget)
  fillBudgets(cloudBudget, initial.cloud.model, initial.cloud.budget)
  fillLadder()
  edgeModel.addEventListener('change', () => {
    fillBudgets(edgeBudget, edgeModel.value, modelOf(edgeModel.value)?.budgets[0] ?? Number(edgeBudget.value))
    fillLadder()
    fillClasses()
  })
  edgeBudget.addEventListener('change', fillLadder)
  cloudModel.addEventListener('change', () =>
    fillBudgets(
      cloudBudget,
      cloudModel.value,
      Math.max(...(modelOf(cloudModel.value)?.budgets ?? [Number(cloudBudget.value)])),
    ),
  )

  const minConfidence = numberInput('minConfidence', initial.escalation.thresholds.minConfidence, '0.01')
  const minMargin = numberInput('minMargin', initial.escalation.thresholds.minMargin, '0.01')
  const maxEntropy = numberInput('maxEntropy', initial.escalation.thresholds.maxEntropy, '0.01')
  const auditRate = numberInput('auditRate', initial.escalation.auditRate, '0.001')

  const perClassBody = h('tbody')
  const alwaysBox = h('div', { class: 'checks' })
  const perClass = new Map(initial.escalation.perClass.map((c) => [c.label, c]))
  let always = new Set(initial.escalation.alwaysEscalate)
  const classInputs = new Map<
    string,
    { minConfidence: HTMLInputElement; minMargin: HTMLInputElement; maxEntropy: HTMLInputElement }
  >()
  const fillClasses = () => {
    const labels = modelOf(edgeModel.value)?.labels ?? [...perClass.keys()]
    classInputs.clear()
    replace(
      perClassBody,
      labels.map((label) => {
        const t = perClass.get(label)
        const inputs = {
          minConfidence: numberInput(
            `minConfidence.${label}`,
            t?.minConfidence ?? null,
            '0.01',
            `Min confidence for ${label}`,
          ),
          minMargin: numberInput(
            `minMargin.${label}`,
            t?.minMargin ?? null,
            '0.01',
            `Min margin for ${label}`,
          ),
          maxEntropy: numberInput(
            `maxEntropy.${label}`,
            t?.maxEntropy ?? null,
            '0.01',
            `Max entropy for ${label}`,
          ),
        }
        classInputs.set(label, inputs)
        return h(
          'tr',
          {},
          h('th', { scope: 'row' }, label),
          h('td', {}, inputs.minConfidence),
          h('td', {}, inputs.minMargin),
          h('td', {}, inputs.maxEntropy),
        )
      }),
    )
    always = new Set([...always].filter((l) => labels.includes(l)))
    replace(
      alwaysBox,
      labels.map((label) => {
        const box = h('input', {
          type: 'checkbox',
          name: 'alwaysEscalate',
          value: label,
          checked: always.has(label),
        })
        box.addEventListener('change', () => {
          if (box.checked) always.add(label)
          else always.delete(label)
        })
        return h('label', { class: 'check' }, box, label)
      }),
    )
  }
  fillClasses()

  const cap = numberInput('cloudTokenCapPerHour', initial.cloudTokenCapPerHour, '1')
  const atCap = enumSelect('atCap', fallbacks, initial.atCap)
  const deadline = numberInput('deadlineMs', initial.deadlineMs, '100')
  const pastDeadline = enumSelect('pastDeadline', fallbacks, initial.pastDeadline)
  const question = h('input', {
    type: 'text',
    name: 'question',
    value: initial.question ?? '',
    maxlength: 200,
  })
  const edgePrice = numberInput('edgePrice', initial.costPer1kTokens.edge, '0.0001')
  const cloudPrice = numberInput('cloudPrice', initial.costPer1kTokens.cloud, '0.0001')
  const egress = enumSelect('egressMode', egressModes, initial.egress.mode)
  const margin = numberInput('regionMarginPatches', initial.egress.regionMarginPatches, '1')

  const element = h(
    'div',
    { class: 'policy-form' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Edge'),
      field('Edge model', edgeModel),
      field('Edge budget', edgeBudget),
      h('fieldset', { class: 'inner' }, h('legend', {}, 'Ladder'), ladderBox),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Cloud'),
      field('Cloud model', cloudModel),
      field('Cloud budget', cloudBudget),
      field('Question', question, 'fused into the cloud model; empty = none'),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Escalation'),
      field('Min confidence', minConfidence, 'escalate below; empty = no rule'),
      field('Min margin', minMargin, 'top-1 minus top-2; empty = no rule'),
      field('Max entropy', maxEntropy, 'nats; empty = no rule'),
      field('Audit rate', auditRate, 'fraction of confident cases sent anyway, 0–1'),
      h('fieldset', { class: 'inner' }, h('legend', {}, 'Always escalate'), alwaysBox),
      h(
        'details',
        {},
        h('summary', {}, 'Per-class thresholds'),
        h(
          'table',
          { class: 'data' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Class', 'Min confidence', 'Min margin', 'Max entropy'].map((t) =>
                h('th', { scope: 'col' }, t),
              ),
            ),
          ),
          perClassBody,
        ),
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Budget and deadline'),
      field('Cloud token cap per hour', cap, 'empty = no cap'),
      field('At the cap', atCap),
      field('Deadline (ms)', deadline, 'wait for a cloud verdict'),
      field('Past the deadline', pastDeadline),
      field('Edge price per 1k tokens', edgePrice),
      field('Cloud price per 1k tokens', cloudPrice),
      field('Egress', egress, 'what of the image leaves the plant'),
      field('Region margin (patches)', margin),
    ),
  )
  element.addEventListener('input', changed)
  element.addEventListener('change', changed)

  const read = (): PolicyInput => ({
    edge: {
      model: edgeModel.value,
      budget: Number(edgeBudget.value),
      ladder: [...ladder].sort((a, b) => a - b),
    },
    cloud: { model: cloudModel.value, budget: Number(cloudBudget.value) },
    escalation: {
      thresholds: {
        minConfidence: value(minConfidence),
        minMargin: value(minMargin),
        maxEntropy: value(maxEntropy),
      },
      perClass: [...classInputs].flatMap(([label, inputs]) => {
        const t: Thresholds = {
          minConfidence: value(inputs.minConfidence),
          minMargin: value(inputs.minMargin),
          maxEntropy: value(inputs.maxEntropy),
        }
        return t.minConfidence === null && t.minMargin === null && t.maxEntropy === null
          ? []
          : [{ label, ...t }]
      }),
      alwaysEscalate: [...always],
      auditRate: value(auditRate) ?? 0,
    },
    cloudTokenCapPerHour: value(cap),
    atCap: atCap.value as Fallback,
    deadlineMs: value(deadline) ?? 0,
    pastDeadline: pastDeadline.value as Fallback,
    question: question.value.trim() === '' ? null : question.value.trim(),
    costPer1kTokens: { edge: value(edgePrice) ?? 0, cloud: value(cloudPrice) ?? 0 },
    egress: { mode: egress.value as EgressMode, regionMarginPatches: value(margin) ?? 1 },
  })
  return { element, read, onChange: (l) => listeners.push(l) }
}

function modelSelect(name: string, models: Model[], value: string): HTMLSelectElement {
  const names = [...new Set([...models.map((m) => m.name), value])]
  const select = h(
    'select',
    { name },
    names.map((n) => h('option', { value: n }, n)),
  )
  select.value = value
  return select
}

function enumSelect<T extends string>(name: string, values: T[], value: T): HTMLSelectElement {
  const select = h(
    'select',
    { name },
    values.map((v) => h('option', { value: v }, v.toLowerCase().replace('_', ' '))),
  )
  select.value = value
  return select
}

function numberInput(
  name: string,
  initial: number | null,
  step: string,
  ariaLabel?: string,
): HTMLInputElement {
  return h('input', {
    type: 'number',
    name,
    step,
    value: initial ?? '',
    'aria-label': ariaLabel,
    inputmode: 'decimal',
  })
}

/** A blank number field is null; anything else goes to the gateway as typed (it validates). */
function value(input: HTMLInputElement): number | null {
  return input.value.trim() === '' ? null : Number(input.value)
}

/** A stored version as the PolicyInput that would recreate it. */
export function toInput(p: Policy): PolicyInput {
  return {
    edge: p.edge,
    cloud: p.cloud,
    escalation: p.escalation,
    cloudTokenCapPerHour: p.cloudTokenCapPerHour,
    atCap: p.atCap,
    deadlineMs: p.deadlineMs,
    pastDeadline: p.pastDeadline,
    question: p.question,
    costPer1kTokens: p.costPer1kTokens,
    egress: p.egress,
  }
}
