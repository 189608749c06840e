import type { InspectionCard } from '../api/types.ts'
import { h } from '../ui/dom.ts'
import { percent } from '../ui/format.ts'

/** The case's image: the thumbnail the cloud saw (escalated cases), else a placeholder saying why none. */
export function thumbnailCell(i: InspectionCard): HTMLElement {
  if (i.thumbnail) {
    return h('img', {
      class: 'thumb',
      src: i.thumbnail,
      alt: `image of inspection ${i.id}`,
      width: 48,
      height: 48,
    })
  }
  return h(
    'span',
    {
      class: 'thumb none',
      role: 'img',
      'aria-label': 'no image',
      title: 'The gateway keeps an image of escalated cases only, once the escalation has reached it',
    },
    '—',
  )
}

/** Final verdict, or what the case waits for. */
export function verdictCell(i: InspectionCard): HTMLElement {
  if (i.verdict) return h('span', { class: `verdict ${i.verdict === 'ok' ? 'ok' : 'defect'}` }, i.verdict)
  if (i.disposition === 'HELD') return h('span', { class: 'verdict waiting' }, 'held')
  return h('span', { class: 'verdict waiting' }, 'pending')
}

/** Where the verdict was decided: edge at which rung, cloud at which budget, or a person. */
export function decidedWhere(i: InspectionCard): string {
  const ladder = i.ladder && i.ladder.length > 1 ? ` (ladder ${i.ladder.join(' → ')})` : ''
  switch (i.decidedBy) {
    case 'EDGE':
      return `edge @ ${i.edge?.budget ?? i.ladder?.at(-1) ?? '?'} tokens${ladder}`
    case 'CLOUD':
      return `cloud @ ${i.cloud?.budget ?? '?'} tokens${i.cloudLate ? ', late' : ''}`
    case 'HUMAN': {
      const review = i.reviews.at(-1)
      return `review${review ? ` by ${review.reviewer}` : ''}`
    }
    case null:
      return i.disposition === 'HELD' ? 'waiting for a person' : `waiting for the cloud${ladder}`
    default: {
      const unreachable: never = i.decidedBy
      return unreachable
    }
  }
}

/** Why it went where it went: the escalation reason, or "confident" for an edge decision. */
export function why(i: InspectionCard): string {
  const parts: string[] = []
  if (i.escalationReason) parts.push(i.escalationReason)
  else if (i.disposition === 'ACCEPTED') parts.push('confident')
  if (i.edge && i.cloud && i.edge.label !== i.cloud.label) parts.push(`edge said ${i.edge.label}`)
  if (i.cloudLate) parts.push('cloud past deadline')
  return parts.join('; ') || '—'
}

export function confidence(i: InspectionCard): string {
  const top = i.decidedBy === 'CLOUD' ? i.cloud?.probabilities[0]?.probability : undefined
  return top !== undefined ? `${percent(top)} (cloud)` : percent(i.edgeConfidence)
}
