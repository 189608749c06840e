import { ApiError } from '../api/graphql-client.ts'
import { h } from './dom.ts'

/**
 * An error as the page shows it: the API's `extensions.code` first (FORBIDDEN, BAD_USER_INPUT…),
 * then its message. role=alert so it is announced and tests find it.
 */
export function errorBanner(err: unknown, context?: string): HTMLElement {
  const code = err instanceof ApiError ? err.code : 'CLIENT_ERROR'
  const message = err instanceof Error ? err.message : String(err)
  return h(
    'div',
    { class: 'error', role: 'alert', 'data-code': code },
    context ? `${context}: ` : '',
    h('code', {}, code),
    ' ',
    message,
    err instanceof ApiError && err.fields.length > 0
      ? h(
          'ul',
          { class: 'fields' },
          err.fields.map((f) =>
            h('li', {}, f.path ? h('code', {}, f.path) : null, f.path ? ': ' : '', f.message),
          ),
        )
      : null,
  )
}

/** A polite status line (role=status) for "saved", "recorded" and the like. */
export function notice(text: string): HTMLElement {
  return h('div', { class: 'notice', role: 'status' }, text)
}
