type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>

/**
 * `h('button', { type: 'button', onclick: fn, 'aria-label': 'Log out' }, 'Log out')`: attributes
 * starting with `on` become listeners, `false`/null/undefined attributes are left out, children
 * that are strings become text (never HTML: everything the API returns is shown as text).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value)
    } else if (name === 'value' && 'value' in el) {
      ;(el as HTMLInputElement).value = String(value)
    } else if (name === 'checked' && 'checked' in el) {
      ;(el as HTMLInputElement).checked = Boolean(value)
    } else {
      el.setAttribute(name, value === true ? '' : String(value))
    }
  }
  append(el, children)
  return el
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)))
  }
}

/** Replaces every child of `el`. */
export function replace(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren()
  append(el, children)
}

let ids = 0
/** A page-unique element id, for label `for=` and aria references. */
export function uid(prefix: string): string {
  ids += 1
  return `${prefix}-${ids}`
}

/** A labelled form control: `<label for=id>text</label>` followed by the control. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || uid('f')
  control.id = id
  const hintEl = hint ? h('small', { class: 'hint', id: `${id}-hint` }, hint) : null
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id)
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl)
}
