import type { ApiError, GraphqlClient } from '../api/graphql-client.ts'
import type { Me, PlantWithLines } from '../api/types.ts'
import { field, h, replace } from '../ui/dom.ts'
import { errorBanner } from '../ui/error-banner.ts'
import { feedView } from './feed.view.ts'
import { frontierView } from './frontier.view.ts'
import { policyView } from './policy.view.ts'
import { reviewView } from './review.view.ts'
import { scalingView } from './scaling.view.ts'
import { statsView } from './stats.view.ts'
import type { AppContext, LineChoice, View, ViewName } from './view.ts'
import { viewNames } from './view.ts'

const views: Record<ViewName, { title: string; view: View }> = {
  feed: { title: 'Live feed', view: feedView },
  stats: { title: 'Window stats', view: statsView },
  scaling: { title: 'Scaling curve', view: scalingView },
  frontier: { title: 'Policy frontier', view: frontierView },
  policy: { title: 'Policy', view: policyView },
  review: { title: 'Review queue', view: reviewView },
}

type Session = {
  client: GraphqlClient
  me: Me | undefined
  meError: ApiError | undefined
  plants: PlantWithLines[]
  logout: () => void
}

/**
 * The logged-in page: a header (line picker, who is logged in, log out), the view tabs, and the
 * current view. The location hash is `#/<view>/<lineId>` so a reload or a shared link opens the same page.
 */
export function showApp(root: HTMLElement, session: Session): void {
  const lines: LineChoice[] = session.plants.flatMap((p) =>
    p.lines.map((l) => ({ id: l.id, name: l.name, plantId: p.id, plantName: p.name })),
  )
  const main = h('main', { id: 'view', tabindex: '-1' })
  const nav = h('nav', { 'aria-label': 'Views' })
  const lineSelect = h(
    'select',
    { name: 'line' },
    session.plants.map((p) =>
      h(
        'optgroup',
        { label: p.name },
        p.lines.map((l) => h('option', { value: l.id }, l.name)),
      ),
    ),
  )
  const who = session.me
    ? `${session.me.name} · ${session.me.role.toLowerCase()}${session.me.allPlants ? ' · all plants' : ` · ${session.me.plantIds.join(', ')}`}`
    : `role unknown (me: ${session.meError?.code ?? '?'})`
  const header = h(
    'header',
    { class: 'top' },
    h('span', { class: 'brand' }, 'tokenline'),
    lines.length > 0 ? field('Line', lineSelect) : null,
    h('span', { class: 'who', title: 'The API key of this session' }, who),
    h('button', { type: 'button', class: 'secondary', onclick: () => session.logout() }, 'Log out'),
  )
  replace(root, header, nav, main)

  if (lines.length === 0) {
    replace(
      main,
      h('h1', {}, 'No lines'),
      h(
        'p',
        {},
        'This key sees no line yet. An admin creates plants and lines with createPlant / createLine.',
      ),
    )
    return
  }

  let dispose: (() => void) | undefined
  let draft: AppContext['draft']

  const render = () => {
    const [viewPart, linePart] = window.location.hash.replace(/^#\/?/, '').split('/')
    const name: ViewName = (viewNames as readonly string[]).includes(viewPart ?? '')
      ? (viewPart as ViewName)
      : 'feed'
    const line = lines.find((l) => l.id === decodeURIComponent(linePart ?? '')) ?? lines[0]!
    lineSelect.value = line.id
    replace(
      nav,
      viewNames.map((v) =>
        h(
          'a',
          { href: `#/${v}/${encodeURIComponent(line.id)}`, 'aria-current': v === name ? 'page' : undefined },
          views[v].title,
        ),
      ),
    )
    dispose?.()
    main.replaceChildren()
    document.title = `${views[name].title} · ${line.name} · tokenline`
    const ctx: AppContext = {
      client: session.client,
      me: session.me,
      meError: session.meError,
      line,
      draft,
      navigate: (view, next) => {
        draft = next
        window.location.hash = `#/${view}/${encodeURIComponent(line.id)}`
      },
    }
    draft = undefined
    try {
      dispose = views[name].view(main, ctx)
    } catch (err) {
      dispose = undefined
      main.append(errorBanner(err, views[name].title))
    }
  }

  lineSelect.addEventListener('change', () => {
    const [viewPart] = window.location.hash.replace(/^#\/?/, '').split('/')
    window.location.hash = `#/${viewPart || 'feed'}/${encodeURIComponent(lineSelect.value)}`
  })
  const onHash = () => render()
  window.addEventListener('hashchange', onHash)
  const logout = session.logout
  session.logout = () => {
    window.removeEventListener('hashchange', onHash)
    dispose?.()
    logout()
  }
  render()
}
