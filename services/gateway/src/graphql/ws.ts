import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
// graphql/index.js, not graphql: the same instance graphql-ws itself loads. Node resolves both to
// it anyway; vitest's resolver prefers graphql's ESM build for our files, and graphql refuses a
// schema or error of another instance ("from another module or realm").
import {
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  getOperationAST,
  parse,
  specifiedRules,
  type ValidationRule,
  validate,
} from 'graphql/index.js'
import { useServer } from 'graphql-ws/use/ws'
import { type WebSocket, WebSocketServer } from 'ws'
import type { Logger } from '../../../../lib/log/index.ts'
import type { KeyVerifier } from '../auth/key-verifier.ts'
import type { Principal } from '../auth/principal.ts'
import { logRefusal, logRefusedErrors, operationNameOf } from '../auth/refusal-log.ts'
import type { Authenticator } from '../auth/request-auth.ts'
import type { GatewayEvents } from '../events/gateway-events.ts'
import { maxTokens } from './apollo.ts'
import type { GatewayContext } from './context.ts'
import { extensionCodes } from './error-codes.ts'
import { estimateCost } from './limits/complexity.ts'

/** Close codes (graphql-ws reserves 4400–4499 for the application's use like these). */
export const wsCloseCodes = { unauthenticated: 4401, rateLimited: 4429 } as const

export type GraphqlWsOptions = {
  schema: GraphQLSchema
  authenticator: Authenticator
  verifier: KeyVerifier
  events: GatewayEvents
  context: (principal: Principal) => GatewayContext
  /** Apollo's formatError for the HTTP path: the same codes, the same hiding of internals. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError
  /**
   * Validation rules added to graphql's own, for the HTTP and the WebSocket path alike (depth and
   * complexity limits). Hook: pass the same list Apollo gets.
   */
  validationRules?: readonly ValidationRule[]
  /** GATEWAY_MAX_COMPLEXITY: the same cost ceiling HTTP requests get (limits plugin). */
  maxComplexity?: number
  /**
   * GATEWAY_MAX_REQUEST_BYTES: the largest message a client may send; a bigger one closes the
   * socket with 1009 (message too big) before it is parsed. Default: ws's own 100 MiB.
   */
  maxMessageBytes?: number
  log: Logger
  /** How often open sockets' keys are checked again for a revocation made elsewhere (ms); default 5000. */
  recheckMs?: number
  /** Called when a mutation sent over the socket completes (the HTTP response cache empties). */
  afterMutation?: () => void
}

type Extra = { principal?: Principal; mutations?: Set<string> }

/**
 * GraphQL over WebSocket (graphql-ws protocol, `graphql-transport-ws`) at `/graphql` on the
 * service's own HTTP server. The API key comes in `connectionParams.authorization`
 * (`Bearer <key>`) and is checked at connection init: a bad one closes the socket with 4401, a
 * rate-limited address with 4429. Each operation is charged to the key's rate limit. Sockets of
 * a key revoked through this gateway close at once (4401); one revoked elsewhere within
 * `recheckMs` plus the verifier's cache time.
 */
export function attachGraphqlWs(server: Server, options: GraphqlWsOptions): { close: () => Promise<void> } {
  const { schema, authenticator, log } = options
  const wss = new WebSocketServer({
    noServer: true,
    ...(options.maxMessageBytes !== undefined ? { maxPayload: options.maxMessageBytes } : {}),
  })
  const byKey = new Map<string, Set<WebSocket>>()
  const rules = [...specifiedRules, ...(options.validationRules ?? [])]

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://gateway').pathname !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  }
  server.on('upgrade', onUpgrade)

  const format = (errors: readonly GraphQLError[]) => errors.map((e) => options.formatError(e.toJSON(), e))

  const disposable = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema,
      // graphql-ws would otherwise read NODE_ENV (main.ts sets production): close reasons keep naming
      // the error, as they did before, whatever the environment.
      isProd: false,
      onConnect: async (ctx) => {
        const header = ctx.connectionParams?.authorization
        const outcome = await authenticator.authenticate(
          typeof header === 'string' ? header : undefined,
          ctx.extra.request.socket.remoteAddress,
          'ws',
        )
        if (!outcome.ok) {
          const code =
            outcome.code === 'GATEWAY_RATE_LIMITED' ? wsCloseCodes.rateLimited : wsCloseCodes.unauthenticated
          ctx.extra.socket.close(code, `${extensionCodes[outcome.code]}: ${outcome.message}`.slice(0, 120))
          return false
        }
        const { principal } = outcome
        ctx.extra.principal = principal
        const sockets = byKey.get(principal.keyId) ?? new Set<WebSocket>()
        byKey.set(principal.keyId, sockets)
        sockets.add(ctx.extra.socket)
        ctx.extra.socket.once('close', () => {
          sockets.delete(ctx.extra.socket)
          if (sockets.size === 0 && byKey.get(principal.keyId) === sockets) byKey.delete(principal.keyId)
        })
        return true
      },
      onSubscribe: (ctx, id, payload) => {
        const principal = ctx.extra.principal
        if (!principal)
          return [new GraphQLError('not connected', { extensions: { code: 'UNAUTHENTICATED' } })]
        const charged = authenticator.charge(principal, 'ws', ctx.extra.request.socket.remoteAddress)
        if (!charged.ok) {
          return [
            new GraphQLError(charged.message, {
              extensions: {
                code: extensionCodes[charged.code],
                retriable: true,
                retryAfter: charged.retryAfterSeconds,
              },
            }),
          ]
        }
        let document: ReturnType<typeof parse>
        try {
          // The same token ceiling as Apollo's parser on HTTP: validation is quadratic in same-named fields.
          document = parse(payload.query, { maxTokens })
        } catch (err) {
          return [new GraphQLError((err as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]
        }
        const errors = validate(schema, document, rules)
        // Rules built elsewhere may report errors of another graphql instance; graphql-ws knows its own.
        // Rules report typed errors (codes mapped by formatError, as on HTTP); graphql-ws sends errors as given.
        // graphql's own rules carry no code; Apollo calls them GRAPHQL_VALIDATION_FAILED on HTTP.
        if (errors.length > 0)
          return errors.map((e) => {
            const formatted = options.formatError(e.toJSON(), e)
            return new GraphQLError(formatted.message, {
              nodes: e.nodes,
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...formatted.extensions },
            })
          })
        if (options.maxComplexity !== undefined) {
          const cost = estimateCost(
            schema,
            document,
            payload.variables ?? {},
            payload.operationName ?? undefined,
          )
          if (cost !== undefined && cost > options.maxComplexity) {
            return [
              new GraphQLError(
                `expected an operation costing at most ${options.maxComplexity} (GATEWAY_MAX_COMPLEXITY); this one costs ${Number.isFinite(cost) ? cost : 'more'}`,
                { extensions: { code: extensionCodes.GATEWAY_QUERY_TOO_COMPLEX, retriable: false } },
              ),
            ]
          }
        }
        if (getOperationAST(document, payload.operationName)?.operation === 'mutation') {
          ctx.extra.mutations ??= new Set()
          ctx.extra.mutations.add(id)
        }
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: options.context(principal),
        }
      },
      onNext: (ctx, _id, payload, _args, result) => {
        if (!result.errors) return undefined
        const errors = format(result.errors as readonly GraphQLError[]).map(requestLevelCode)
        logRefusedErrors(log, errors, who(ctx.extra, operationNameOf(payload.operationName, payload.query)))
        return { ...result, errors }
      },
      onError: (ctx, _id, payload, errors) => {
        const formatted = format(errors)
        // The rate limit logged its own refusal when it charged the operation.
        logRefusedErrors(
          log,
          formatted.filter((e) => e.extensions?.code !== extensionCodes.GATEWAY_RATE_LIMITED),
          who(ctx.extra, operationNameOf(payload.operationName, payload.query)),
        )
        return formatted
      },
      onComplete: (ctx, id) => {
        if (ctx.extra.mutations?.delete(id)) options.afterMutation?.()
      },
    },
    wss,
  )
  // A frame over maxMessageBytes (or otherwise broken) makes ws emit 'error' and close the socket
  // (1009 for size). graphql-ws's own listener prints it with console.error as an internal error;
  // it is the client's: replace that listener with a refusal log line.
  wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
    socket.removeAllListeners('error')
    socket.on('error', (err: Error & { code?: string }) =>
      logRefusal(log, {
        code: err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'REQUEST_TOO_LARGE' : 'BAD_REQUEST',
        transport: 'ws',
        remoteAddress: req.socket.remoteAddress,
        message: err.message,
      }),
    )
  })

  const closeKey = (keyId: string, why: string) => {
    for (const socket of byKey.get(keyId) ?? []) socket.close(wsCloseCodes.unauthenticated, why)
  }
  const stopListening = new AbortController()
  void (async () => {
    try {
      for await (const [keyId] of options.events.listen('apiKeyRevoked', stopListening.signal)) {
        closeKey(keyId, 'UNAUTHENTICATED: the API key was revoked')
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') log.error({ err }, 'WebSocket revocation listener failed')
    }
  })()
  const recheck = setInterval(() => {
    for (const keyId of byKey.keys()) {
      options.verifier.stillValid(keyId).then(
        (valid) => {
          if (!valid) closeKey(keyId, 'UNAUTHENTICATED: the API key was revoked')
        },
        (err: unknown) =>
          log.warn({ keyId, err: (err as Error).message }, 'could not recheck a WebSocket key'),
      )
    }
  }, options.recheckMs ?? 5000)
  recheck.unref()

  return {
    close: async () => {
      clearInterval(recheck)
      stopListening.abort()
      server.off('upgrade', onUpgrade)
      await disposable.dispose() // closes every socket with 1001 Going away
      // A client that does not finish the close handshake within a second must not hold the
      // HTTP server's close.
      const deadline = Date.now() + 1000
      while (wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      for (const socket of wss.clients) socket.terminate()
    },
  }
}

function who(extra: Extra, operation: string | null | undefined) {
  return { transport: 'ws' as const, principal: extra.principal, operation }
}

/**
 * An error with no path and no code before any field ran is graphql's variable coercion (a value
 * of the wrong type): Apollo answers it BAD_USER_INPUT on HTTP, so the socket does too.
 */
function requestLevelCode(error: GraphQLFormattedError): GraphQLFormattedError {
  if (error.path !== undefined || error.extensions?.code !== undefined) return error
  return { ...error, extensions: { ...error.extensions, code: 'BAD_USER_INPUT', retriable: false } }
}
