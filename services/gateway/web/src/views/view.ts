import type { ApiError, GraphqlClient } from '../api/graphql-client.ts'
import type { Me, PolicyInput } from '../api/types.ts'

export type LineChoice = { id: string; name: string; plantId: string; plantName: string }

/** What every view gets from the shell. */
export type AppContext = {
  client: GraphqlClient
  /** The key's identity; undefined when the gateway could not say (then `meError` says why). */
  me: Me | undefined
  meError: ApiError | undefined
  line: LineChoice
  /** A policy handed from one view to another (the frontier's "edit this candidate"). */
  draft: { policy: PolicyInput; note: string } | undefined
  navigate: (view: ViewName, draft?: AppContext['draft']) => void
}

export const viewNames = ['feed', 'stats', 'scaling', 'frontier', 'policy', 'review'] as const
export type ViewName = (typeof viewNames)[number]

/** A page of the dashboard: draws itself into `root`; the returned function stops its timers and subscriptions. */
export type View = (root: HTMLElement, ctx: AppContext) => () => void

/** Whether the key may do what needs `role`; unknown identity leaves the decision to the server. */
export function mayAct(ctx: AppContext, role: 'OPERATOR' | 'ADMIN'): boolean {
  if (!ctx.me) return true
  const rank = { VIEWER: 1, OPERATOR: 2, ADMIN: 3 } as const
  return rank[ctx.me.role] >= rank[role]
}
