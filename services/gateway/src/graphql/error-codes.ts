import type { GraphQLFormattedError } from 'graphql'
import type { DbErrorCode } from '../../../../lib/db/index.ts'
import { isTokenlineError } from '../../../../lib/errors/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import type { GatewayErrorCode } from '../errors.ts'

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
])

/** Apollo `formatError`: maps codes, adds `retriable`, hides internals. */
export function formatErrorWith(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = (error as { originalError?: unknown }).originalError ?? error
    if (isTokenlineError(original) && original.code in extensionCodes) {
      return {
        ...formatted,
        message: original.message,
        extensions: {
          code: extensionCodes[original.code as keyof typeof extensionCodes],
          retriable: original.retriable,
        },
      }
    }
    // Request-level errors (parse, validation, variables) have no path; resolvers that threw a
    // GraphQLError with a code chose it themselves. Both pass as Apollo formatted them.
    const code = formatted.extensions?.code
    if (!formatted.path || (code !== undefined && code !== 'INTERNAL_SERVER_ERROR')) return formatted
    if (causeCodes(original).some((code) => unavailableCodes.has(code))) {
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
