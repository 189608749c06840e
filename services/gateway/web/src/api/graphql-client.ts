import { type Client, createClient } from 'graphql-ws/client'

/**
 * A GraphQL error as the gateway reports it: `code` is the error's `extensions.code` (FORBIDDEN,
 * UNAUTHENTICATED, BAD_USER_INPUT, …), or NETWORK / HTTP_<status> when no GraphQL answer came.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly code: string,
    message: string,
    readonly retriable = false,
    /** Field-level problems (e.g. `extensions.fields` of POLICY_INVALID), when the gateway lists them. */
    readonly fields: FieldProblem[] = [],
  ) {
    super(message)
  }
}

export type FieldProblem = { path: string; message: string }

type GraphqlResponse<T> = {
  data?: T | null
  errors?: { message: string; extensions?: { code?: string; retriable?: boolean; fields?: unknown } }[]
}

/** The first error of an answer as an ApiError (the one the page shows). */
export function toApiError(
  errors: NonNullable<GraphqlResponse<unknown>['errors']>,
  status: number,
): ApiError {
  const first = errors[0]
  const code = first?.extensions?.code ?? `HTTP_${status}`
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''
  return new ApiError(
    code,
    `${first?.message ?? 'unknown error'}${more}`,
    first?.extensions?.retriable ?? false,
    fieldProblems(first?.extensions?.fields),
  )
}

function fieldProblems(value: unknown): FieldProblem[] {
  if (!Array.isArray(value)) return []
  return value.flatMap((f: unknown) => {
    const { path, message } = (f ?? {}) as { path?: unknown; message?: unknown }
    if (typeof message !== 'string') return []
    return [{ path: Array.isArray(path) ? path.join('.') : String(path ?? ''), message }]
  })
}

/**
 * Queries and mutations over HTTP POST (`authorization: Bearer <key>`), subscriptions over
 * graphql-ws at the same path. The endpoint is relative to the page, so a gateway served under a
 * path prefix works unchanged.
 */
export class GraphqlClient {
  private ws: Client | undefined
  private connected = false

  /** `endpoint`: the gateway's /graphql, e.g. `new URL('graphql', location.href)` (see session.ts). */
  constructor(
    private readonly apiKey: string,
    private readonly endpoint: URL,
  ) {}

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let res: Response
    try {
      res = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          authorization: `Bearer ${this.apiKey}`,
        },
        body: JSON.stringify({ query, variables }),
      })
    } catch (err) {
      throw new ApiError('NETWORK', `the gateway did not answer: ${(err as Error).message}`, true)
    }
    let body: GraphqlResponse<T>
    try {
      body = (await res.json()) as GraphqlResponse<T>
    } catch {
      throw new ApiError(`HTTP_${res.status}`, `the gateway answered ${res.status} without a GraphQL body`)
    }
    if (body.errors && body.errors.length > 0) throw toApiError(body.errors, res.status)
    if (!body.data) throw new ApiError(`HTTP_${res.status}`, 'the gateway answered without data')
    return body.data
  }

  /**
   * Calls `onData` for every event until the returned function is called. `onError` gets the
   * server's refusal or a lost connection (graphql-ws retries a lost one by itself).
   */
  subscribe<T>(
    query: string,
    variables: Record<string, unknown>,
    handlers: { onData: (data: T) => void; onError: (err: ApiError) => void; onConnected?: () => void },
  ): () => void {
    const client = this.socket()
    const offConnected = handlers.onConnected ? client.on('connected', handlers.onConnected) : undefined
    if (this.connected) handlers.onConnected?.()
    const unsubscribe = client.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors && result.errors.length > 0) {
            handlers.onError(toApiError(result.errors as NonNullable<GraphqlResponse<T>['errors']>, 200))
          } else if (result.data) {
            handlers.onData(result.data as T)
          }
        },
        error: (err) => handlers.onError(socketError(err)),
        complete: () => undefined,
      },
    )
    return () => {
      offConnected?.()
      unsubscribe()
    }
  }

  close(): void {
    void this.ws?.dispose()
    this.ws = undefined
  }

  private socket(): Client {
    if (this.ws) return this.ws
    const url = new URL(this.endpoint)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    const ws = createClient({
      url: url.toString(),
      connectionParams: { authorization: `Bearer ${this.apiKey}` },
      lazy: true,
      retryAttempts: 5,
    })
    ws.on('connected', () => {
      this.connected = true
    })
    ws.on('closed', () => {
      this.connected = false
    })
    this.ws = ws
    return ws
  }
}

/** graphql-ws reports errors as GraphQL error arrays, CloseEvents or plain Errors. */
function socketError(err: unknown): ApiError {
  if (Array.isArray(err)) return toApiError(err as NonNullable<GraphqlResponse<unknown>['errors']>, 200)
  if (err && typeof err === 'object' && 'code' in err && 'reason' in err) {
    const close = err as { code: number; reason: string }
    const code =
      close.code === 4403 ? 'FORBIDDEN' : close.code === 4401 ? 'UNAUTHENTICATED' : 'SUBSCRIPTION_CLOSED'
    return new ApiError(
      code,
      `the subscription socket closed (${close.code} ${close.reason || 'no reason'})`,
      true,
    )
  }
  return new ApiError('NETWORK', `subscription failed: ${(err as Error)?.message ?? String(err)}`, true)
}
