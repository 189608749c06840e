import 'uplot/dist/uPlot.min.css'
import './styles.css'
import { ApiError, GraphqlClient } from './api/graphql-client.ts'
import { meQuery, plantsQuery } from './api/operations.ts'
import type { Me, PlantWithLines } from './api/types.ts'
import { forgetKey, graphqlEndpoint, savedKey, saveKey } from './session.ts'
import { h, replace } from './ui/dom.ts'
import { errorBanner } from './ui/error-banner.ts'
import { showApp } from './views/app-shell.ts'
import { showLogin } from './views/login.view.ts'

const root = document.getElementById('app')!

async function start(key: string): Promise<void> {
  const client = new GraphqlClient(key, graphqlEndpoint())
  let me: Me | undefined
  let meError: ApiError | undefined
  try {
    me = (await client.request<{ me: Me }>(meQuery)).me
  } catch (err) {
    if (err instanceof ApiError && (err.code === 'UNAUTHENTICATED' || err.code === 'FORBIDDEN')) {
      client.close()
      forgetKey()
      showLogin(root, login, err)
      return
    }
    meError = err instanceof ApiError ? err : new ApiError('CLIENT_ERROR', String(err))
  }
  let plants: PlantWithLines[]
  try {
    plants = (await client.request<{ plants: PlantWithLines[] }>(plantsQuery)).plants
  } catch (err) {
    replace(
      root,
      h('main', { class: 'login-page' }, errorBanner(err, 'Could not list plants'), logoutButton(client)),
    )
    return
  }
  showApp(root, { client, me, meError, plants, logout: () => logout(client) })
}

function login(key: string): void {
  saveKey(key)
  void start(key)
}

function logout(client: GraphqlClient): void {
  client.close()
  forgetKey()
  window.location.hash = ''
  showLogin(root, login)
}

function logoutButton(client: GraphqlClient): HTMLElement {
  return h('button', { type: 'button', onclick: () => logout(client) }, 'Log out')
}

const key = savedKey()
if (key) void start(key)
else showLogin(root, login)
