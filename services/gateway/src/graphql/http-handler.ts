import type { IncomingMessage, ServerResponse } from 'node:http'
import { type ApolloServer, HeaderMap } from '@apollo/server'
import type { Route } from '../../../../lib/http/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import type { Principal } from '../auth/principal.ts'
import { logRefusal, logRefusedErrors, operationNameOf } from '../auth/refusal-log.ts'
import type { GatewayContext } from './context.ts'
import { extensionCodes } from './error-codes.ts'
import type { GraphqlMetrics } from './graphql-metrics.ts'
import { Deadline, timeoutError } from './limits/deadline.ts'
import type { ResponseCacheSlot, responseCachePlugin } from './response-cache.plugin.ts'

export type GraphqlRouteOptions = {
  /** Largest POST body or GET query string accepted (bytes). */
  maxRequestBytes: number
  /** The request's verified API key; answers 401 / 429 itself and returns undefined when refused. */
  authenticate: (req: IncomingMessage, res: ServerResponse) => Promise<Principal | undefined>
  /** A request still running after this long (ms) is answered 504 REQUEST_TIMEOUT and stopped. */
  requestTimeoutMs: number
  context: (principal: Principal) => GatewayContext
  /** Where infrastructure failures met before execution (the key check) are logged. */
  log?: Logger
  /** Answers kept by the response cache, sent again before Apollo runs (see responseCachePlugin). */
  responseCache?: Pick<ReturnType<typeof responseCachePlugin>, 'early' | 'remember'>
  /** Counts the requests answered here without Apollo. */
  metrics?: GraphqlMetrics
}

/**
 * `/graphql` on the service's own node:http server: Apollo's `executeHTTPGraphQLRequest` behind a
 * size cap, so /healthz, /readyz and /metrics share the port without a web framework.
 */
export function graphqlRoute(apollo: ApolloServer<GatewayContext>, options: GraphqlRouteOptions): Route {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway')
    if (url.pathname !== '/graphql') return false
    // The key is looked up in the database: the request's time limit covers that wait too (a held
    // embedded database must not hang a request before its deadline starts).
    let authTimer: NodeJS.Timeout | undefined
    const principal = await Promise.race([
      // A key that cannot be checked (database unreachable or its pool exhausted) is the
      // service's fault, not the client's: 503, retriable.
      options.authenticate(req, res).catch((err: unknown) => ({ failed: err }) as const),
      new Promise<'timeout'>((resolve) => {
        authTimer = setTimeout(() => resolve('timeout'), options.requestTimeoutMs)
      }),
    ])
    clearTimeout(authTimer)
    if (principal === 'timeout') {
      errorResponse(
        res,
        504,
        extensionCodes.GATEWAY_REQUEST_TIMEOUT,
        timeoutError(options.requestTimeoutMs).message,
      )
      return true
    }
    if (principal && 'failed' in principal) {
      options.log?.warn({ err: principal.failed }, 'API key check failed: database unavailable')
      res.setHeader('retry-after', '1')
      errorResponse(
        res,
        503,
        'SERVICE_UNAVAILABLE',
        'the API key could not be checked: the database is not reachable',
        true,
      )
      return true
    }
    if (!principal) return true
    const refuse = (status: number, code: string, message: string) => {
      if (options.log)
        logRefusal(options.log, {
          code,
          transport: 'http',
          principal,
          remoteAddress: req.socket.remoteAddress,
          message,
        })
      errorResponse(res, status, code, message)
    }
    const method = (req.method ?? 'GET').toUpperCase()
    if (method !== 'GET' && method !== 'POST') {
      res.setHeader('allow', 'GET, POST')
      refuse(
        405,
        extensionCodes.GATEWAY_METHOD_NOT_ALLOWED,
        `expected GET or POST for /graphql; received ${method}`,
      )
      return true
    }
    const tooLarge = () => {
      res.setHeader('connection', 'close')
      refuse(
        413,
        extensionCodes.GATEWAY_REQUEST_TOO_LARGE,
        `expected a GraphQL request of at most ${options.maxRequestBytes} bytes (GATEWAY_MAX_REQUEST_BYTES)`,
      )
    }
    if (Buffer.byteLength(url.search) > options.maxRequestBytes) {
      tooLarge()
      return true
    }
    let body: unknown
    if (method === 'POST') {
      const raw = await readBody(req, options.maxRequestBytes)
      if (raw === undefined) {
        tooLarge()
        return true
      }
      const type = req.headers['content-type'] ?? ''
      if (type.startsWith('application/json') || type.startsWith('application/graphql-response+json')) {
        try {
          body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'))
        } catch (err) {
          refuse(400, extensionCodes.GATEWAY_BODY_INVALID, `expected a JSON body: ${(err as Error).message}`)
          return true
        }
      } else {
        body = raw.toString('utf8')
      }
    }
    const accept = req.headers.accept ?? ''
    // Only what Apollo itself takes as a JSON POST (its CSRF check passes any application/json).
    const post =
      method === 'POST' && (req.headers['content-type'] ?? '').startsWith('application/json')
        ? graphqlPost(body)
        : undefined
    if (post && options.responseCache) {
      const started = performance.now()
      const kept = options.responseCache.early({ ...post, accept, principal })
      if (kept) {
        res.setHeader('cache-control', 'no-store')
        for (const [name, value] of kept.headers) res.setHeader(name, value)
        res.setHeader('x-tokenline-cache', 'hit')
        res.statusCode = 200
        res.end(kept.body)
        options.metrics?.observe(kept.operationName, 'ok', (performance.now() - started) / 1000)
        return true
      }
    }
    const headers = new HeaderMap()
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
    }
    const context = options.context(principal)
    const deadline = new Deadline(options.requestTimeoutMs)
    context.deadline = deadline
    const slot: ResponseCacheSlot = {}
    if (post) context.responseCache = slot
    const execution = apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method, headers, search: url.search, body },
      context: async () => context,
    })
    let timer: NodeJS.Timeout | undefined
    const response = await Promise.race([
      execution,
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), options.requestTimeoutMs)
      }),
    ])
    clearTimeout(timer)
    if (response === 'timeout') {
      // Resolvers still waiting on the database see the deadline at their next field and stop;
      // PostgreSQL's statement_timeout ends the statement in flight.
      deadline.expire()
      execution.catch(() => undefined)
      refuse(504, extensionCodes.GATEWAY_REQUEST_TIMEOUT, timeoutError(options.requestTimeoutMs).message)
      return true
    }
    // Answers are per key and change with every result: no cache outside the gateway keeps them
    // (what Apollo's cache-control plugin, disabled in apollo.ts, sent for a schema without hints).
    res.setHeader('cache-control', 'no-store')
    for (const [name, value] of response.headers) res.setHeader(name, value)
    res.statusCode = response.status ?? 200
    if (response.body.kind === 'complete') {
      if (options.log) logAnswerRefusals(options.log, response.body.string, body, url, principal, req)
      res.end(response.body.string)
      if (post && res.statusCode === 200) {
        const kept = [...response.headers].filter(([name]) => name !== 'x-tokenline-cache')
        options.responseCache?.remember(slot, { accept, body: response.body.string, headers: kept })
      }
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk)
      res.end()
    }
    return true
  }
}

/** A single GraphQL request in a JSON body (not a batch, not a persisted-query hash alone), or undefined. */
function graphqlPost(body: unknown):
  | {
      query: string
      operationName: string | null | undefined
      variables: Record<string, unknown> | null | undefined
    }
  | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined
  const { query, operationName, variables, extensions } = body as Record<string, unknown>
  if (typeof query !== 'string') return undefined
  // Left to Apollo, which refuses or interprets them: an empty operation name ("Unknown operation
  // named \"\""), and extensions (a persisted-query hash that must match the text). Answered early
  // from a kept entry, such a request would get 200 where Apollo gives 400.
  if (extensions !== undefined) return undefined
  if (operationName === '') return undefined
  if (operationName != null && typeof operationName !== 'string') return undefined
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined
  return { query, operationName, variables: variables as Record<string, unknown> | null | undefined }
}

/** The body, or undefined once it passes `limit` bytes (the rest is not read). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) return undefined
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) return undefined
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/**
 * Logs the coded errors of an answer (Apollo's own refusals, like batching or a missing query, never
 * reach a plugin, so this reads the answer itself). Only answers that mention errors are parsed.
 */
function logAnswerRefusals(
  log: Logger,
  answer: string,
  body: unknown,
  url: URL,
  principal: Principal,
  req: IncomingMessage,
): void {
  if (!answer.includes('"errors"')) return
  let errors: unknown
  try {
    errors = (JSON.parse(answer) as { errors?: unknown }).errors
  } catch {
    return
  }
  if (!Array.isArray(errors)) return
  const request = body as { operationName?: unknown; query?: unknown } | undefined
  logRefusedErrors(log, errors, {
    transport: 'http',
    principal,
    remoteAddress: req.socket.remoteAddress,
    operation: operationNameOf(
      request?.operationName ?? url.searchParams.get('operationName'),
      request?.query ?? url.searchParams.get('query'),
    ),
  })
}

function errorResponse(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  retriable = false,
): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ errors: [{ message, extensions: { code, retriable } }] }))
}
