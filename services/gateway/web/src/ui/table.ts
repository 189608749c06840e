import { h } from './dom.ts'

type Cell = string | number | HTMLElement

/** A plain data table with a caption, wrapped so it scrolls sideways on a narrow screen. */
export function dataTable(
  head: string[],
  rows: Cell[][],
  caption: string,
  attrs: Record<string, string> = {},
): HTMLElement {
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { class: 'data', ...attrs },
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          head.map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            {},
            r.map((cell) => h('td', {}, typeof cell === 'number' ? String(cell) : cell)),
          ),
        ),
      ),
    ),
  )
}

/** A colour key next to a text, solid or dashed like the chart's line. */
export function swatch(color: string, dashed: boolean, text: string): HTMLElement {
  return h(
    'span',
    { class: 'swatch-label' },
    h('span', { class: `swatch${dashed ? ' dashed' : ''}`, style: `--c:${color}`, 'aria-hidden': 'true' }),
    text,
  )
}
