import type { GraphQLFormattedError } from 'graphql'
import type { DbErrorCode } from '../../../../lib/db/index.ts'
import { isTokenlineError } from '../../../../lib/errors/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import { GatewayError, type GatewayErrorCode } from '../errors.ts'

/**
 * The one place where internal error codes become `extensions.code` for clients. The keys are
 * exhaustive over every code a resolver can meet (the compiler checks it); anything else is an
 * INTERNAL_SERVER_ERROR whose message is hidden and logged.
 */
export const extensionCodes: Record<DbErrorCode | GatewayErrorCode, string> = {
  DB_UNREACHABLE: 'SERVICE_UNAVAILABLE',
  DB_MIGRATION_FAILED: 'SERVICE_UNAVAILABLE',
  DB_LOCKED: 'SERVICE_UNAVAILABLE',
  DB_CURSOR_INVALID: 'CURSOR_INVALID',
  DB_INPUT_INVALID: 'BAD_USER_INPUT',
  DB_NOT_FOUND: 'NOT_FOUND',
  GATEWAY_REQUEST_TOO_LARGE: 'REQUEST_TOO_LARGE',
  GATEWAY_BODY_INVALID: 'BAD_REQUEST',
  GATEWAY_PAGE_TOO_LARGE: 'PAGE_TOO_LARGE',
  GATEWAY_ARGUMENT_INVALID: 'BAD_USER_INPUT',
  GATEWAY_IMPORT_INVALID: 'BAD_USER_INPUT',
  GATEWAY_UNAUTHENTICATED: 'UNAUTHENTICATED',
  GATEWAY_FORBIDDEN: 'FORBIDDEN',
  GATEWAY_NOT_FOUND: 'NOT_FOUND',
  GATEWAY_RATE_LIMITED: 'RATE_LIMITED',
  GATEWAY_POLICY_INVALID: 'POLICY_INVALID',
  GATEWAY_ALREADY_EXISTS: 'ALREADY_EXISTS',
  GATEWAY_IMAGE_TOO_LARGE: 'IMAGE_TOO_LARGE',
  GATEWAY_EDGE_REJECTED: 'BAD_USER_INPUT',
  GATEWAY_EDGE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  GATEWAY_EDGE_NOT_CONFIGURED: 'FAILED_PRECONDITION',
  GATEWAY_QUERY_TOO_DEEP: 'QUERY_TOO_DEEP',
  GATEWAY_TOO_MANY_ALIASES: 'TOO_MANY_ALIASES',
  GATEWAY_QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  GATEWAY_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  GATEWAY_METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  GATEWAY_OPERATION_UNSUPPORTED: 'BAD_REQUEST',
  GATEWAY_REPLAY_NO_RECORDS: 'REPLAY_DATA_MISSING',
  GATEWAY_REPLAY_TOO_LARGE: 'REPLAY_TOO_LARGE',
}

/** Node/pg failures meaning "the database went away": worth a retry by the client. */
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  '57P01',
  '57P03',
  '08006',
  '08003',
  // too_many_connections: the server's own limit, not the pool's
  '53300',
])

/**
 * pg's and pg-pool's own failures carry no code, only these messages: every connection busy for
 * longer than connectionTimeoutMillis, the pool already closed (shutdown), or a server that did
 * not answer a query within the client-side limit (lib/db queryTimeoutMs). All pass with time.
 */
const poolUnavailableMessages = [
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
  'Cannot use a pool after calling end on the pool',
  'Query read timeout',
]

/** query_canceled: PostgreSQL's statement_timeout (GATEWAY_REQUEST_TIMEOUT_MS) ended the statement. */
const statementTimeoutCode = '57014'

/** Apollo `formatError`: maps codes, adds `retriable`, hides internals. */
export function formatErrorWith(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = innermost(error)
    if (isTokenlineError(original) && original.code in extensionCodes) {
      return {
        ...formatted,
        message: original.message,
        extensions: {
          ...(original instanceof GatewayError ? original.extensions : undefined),
          code: extensionCodes[original.code as keyof typeof extensionCodes],
          retriable: original.retriable,
        },
      }
    }
    // Request-level errors (parse, validation, variables) have no path; resolvers that threw a
    // GraphQLError with a code chose it themselves. Both pass as Apollo formatted them.
    const code = formatted.extensions?.code
    if (!formatted.path || (code !== undefined && code !== 'INTERNAL_SERVER_ERROR')) return formatted
    const codes = causeCodes(original)
    if (codes.includes(statementTimeoutCode)) {
      log.warn({ path: formatted.path }, 'statement_timeout ended a query')
      return {
        message: 'the request ran past its time limit (GATEWAY_REQUEST_TIMEOUT_MS) and was stopped',
        path: formatted.path,
        extensions: { code: extensionCodes.GATEWAY_REQUEST_TIMEOUT, retriable: false },
      }
    }
    if (codes.some((code) => unavailableCodes.has(code)) || causeMessages(original).some(isPoolUnavailable)) {
      log.warn({ err: original, path: formatted.path }, 'database unavailable during a query')
      return {
        message: 'the database is not reachable',
        path: formatted.path,
        extensions: { code: 'SERVICE_UNAVAILABLE', retriable: true },
      }
    }
    log.error({ err: original, path: formatted.path }, 'resolver failed')
    return {
      message: 'internal error',
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', retriable: false },
    }
  }
}

function causeCodes(err: unknown): string[] {
  const codes: string[] = []
  for (let e: unknown = err; e && codes.length < 5; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') codes.push(code)
  }
  return codes
}

function causeMessages(err: unknown): string[] {
  const messages: string[] = []
  for (let e: unknown = err; e && messages.length < 5; e = (e as { cause?: unknown }).cause) {
    if (e instanceof Error) messages.push(e.message)
  }
  return messages
}

function isPoolUnavailable(message: string): boolean {
  return poolUnavailableMessages.some((m) => message.startsWith(m))
}

/**
 * The error a resolver or plugin threw, under the GraphQLErrors that wrap it (a plugin's own
 * GraphQLError is wrapped once more when it comes from the other graphql build, ESM vs CJS).
 */
function innermost(error: unknown): unknown {
  let e = error
  for (let depth = 0; depth < 3; depth++) {
    const inner = (e as { originalError?: unknown }).originalError
    if (inner === undefined || inner === null || inner === e) break
    e = inner
  }
  return e
}
