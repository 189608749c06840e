import { ApiError, GraphqlClient } from '../api/graphql-client.ts'
import { meQuery } from '../api/operations.ts'
import { graphqlEndpoint } from '../session.ts'
import { field, h, replace } from '../ui/dom.ts'
import { errorBanner } from '../ui/error-banner.ts'

/** Codes meaning "this key will not do": anything else (an older gateway without `me`) lets the key in. */
const refusals = new Set(['UNAUTHENTICATED', 'FORBIDDEN'])

/** The login form: an API key pasted by a person, checked with `me` before it is kept. */
export function showLogin(root: HTMLElement, onKey: (key: string) => void, reason?: unknown): void {
  const input = h('input', {
    type: 'password',
    name: 'apiKey',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
  })
  const status = h('div', { class: 'login-status' }, reason ? errorBanner(reason) : null)
  const submit = h('button', { type: 'submit' }, 'Log in')
  const form = h(
    'form',
    { class: 'login', 'aria-label': 'Log in' },
    h('h1', {}, 'tokenline'),
    h('p', {}, 'Paste an API key. It is kept in this tab only (sessionStorage) until you log out.'),
    field('API key', input),
    submit,
    status,
  )
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const key = input.value.trim()
    if (!key) return
    submit.disabled = true
    replace(status, 'Checking the key…')
    const client = new GraphqlClient(key, graphqlEndpoint())
    try {
      await client.request(meQuery)
      onKey(key)
    } catch (err) {
      if (
        err instanceof ApiError &&
        !refusals.has(err.code) &&
        !err.code.startsWith('HTTP_') &&
        err.code !== 'NETWORK'
      ) {
        onKey(key)
        return
      }
      replace(status, errorBanner(err, 'The key was not accepted'))
    } finally {
      submit.disabled = false
      client.close()
    }
  })
  replace(root, h('main', { class: 'login-page' }, form))
  input.focus()
}
