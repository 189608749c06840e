import type { GraphQLFormattedError } from 'graphql'
import type { Logger } from '../../../../lib/log/index.ts'
import type { Principal } from './principal.ts'

/** Codes that say someone tried what they may not: logged at warn; other refusals at info. */
const securityCodes = new Set([
  'UNAUTHENTICATED',
  'RATE_LIMITED',
  'FORBIDDEN',
  'REQUEST_TOO_LARGE',
  'QUERY_TOO_DEEP',
  'QUERY_TOO_COMPLEX',
  'TOO_MANY_ALIASES',
  'GRAPHQL_PARSE_FAILED',
])

export type RefusalEvent = {
  /** The `extensions.code` the client got (or, for a closed WebSocket, the close reason's code). */
  code: string
  transport: 'http' | 'ws'
  /** The verified key, when the refusal came after the key check. Only its id and scope are logged. */
  principal?: Principal
  remoteAddress?: string
  /** Why the key was refused: missing | malformed | unknown | revoked. */
  reason?: string
  operation?: string | null
  /** The field that failed, for errors inside an operation. */
  path?: readonly (string | number)[]
  message?: string
}

/**
 * One structured line per refused request, WebSocket connection or operation (event `refused`):
 * the code, the key's id, role and plants, the operation and field. Never the key's secret, the
 * authorization header or the request body: `message` is the answer the client got, which names
 * ids and limits only.
 */
export function logRefusal(log: Logger, r: RefusalEvent): void {
  const p = r.principal
  const line = {
    event: 'refused',
    code: r.code,
    transport: r.transport,
    keyId: p?.keyId,
    role: p?.role,
    plants: p ? (p.allPlants ? '*' : [...p.plantIds]) : undefined,
    remoteAddress: r.remoteAddress,
    reason: r.reason,
    operation: r.operation ?? undefined,
    path: r.path?.join('.'),
    message: r.message?.slice(0, 300),
  }
  if (securityCodes.has(r.code)) log.warn(line, 'request refused')
  else log.info(line, 'request refused')
}

const firstOperationName = /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]{0,99})/

/**
 * The operation a request named, else its document's first operation name (e.g. `mutation Update`
 * without `operationName`), for the log; undefined for anonymous operations.
 */
export function operationNameOf(operationName: unknown, query: unknown): string | undefined {
  if (typeof operationName === 'string' && operationName !== '') return operationName.slice(0, 100)
  return typeof query === 'string' ? firstOperationName.exec(query)?.[1] : undefined
}

/** `logRefusal` for each error of an answer that carries a code (internal errors are logged where they happen). */
export function logRefusedErrors(
  log: Logger,
  errors: readonly GraphQLFormattedError[] | undefined,
  who: Omit<RefusalEvent, 'code' | 'path' | 'message'>,
): void {
  for (const e of errors ?? []) {
    const code = e.extensions?.code
    if (typeof code !== 'string' || code === 'INTERNAL_SERVER_ERROR') continue
    logRefusal(log, { ...who, code, path: e.path, message: e.message })
  }
}
