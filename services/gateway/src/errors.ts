import { TokenlineError } from '../../../lib/errors/index.ts'

export const gatewayErrorCodes = [
  /** Request body or query string over GATEWAY_MAX_REQUEST_BYTES. */
  'GATEWAY_REQUEST_TOO_LARGE',
  /** A POST body that is not JSON. */
  'GATEWAY_BODY_INVALID',
  /** `first` above the maximum page size. */
  'GATEWAY_PAGE_TOO_LARGE',
  /** An argument the schema accepts but the gateway cannot (e.g. `first` ≤ 0, a bad DateTime). */
  'GATEWAY_ARGUMENT_INVALID',
  /** A scaling report or model manifest file that is not valid JSON or fails its schema. */
  'GATEWAY_IMPORT_INVALID',
  /** No API key, or one that is unknown or revoked. */
  'GATEWAY_UNAUTHENTICATED',
  /** The key's role is too low for the action. */
  'GATEWAY_FORBIDDEN',
  /** No such entity, or one of a plant the key may not see (the same answer, on purpose). */
  'GATEWAY_NOT_FOUND',
  /** Over the key's (or, unauthenticated, the address's) request rate: retry after `retry-after` seconds. */
  'GATEWAY_RATE_LIMITED',
  /** A policy that fails validation; `extensions.fields` lists every problem as { path, message }. */
  'GATEWAY_POLICY_INVALID',
  /** createPlant / createLine with an id that is taken. */
  'GATEWAY_ALREADY_EXISTS',
  /** A submitted image over GATEWAY_MAX_SUBMIT_BYTES once decoded. */
  'GATEWAY_IMAGE_TOO_LARGE',
  /** The line's edge refused the submitted image (its 4xx); `extensions.edgeCode` names the edge's code. */
  'GATEWAY_EDGE_REJECTED',
  /** The line's edge did not answer, answered 5xx or was busy (429): retry later. */
  'GATEWAY_EDGE_UNAVAILABLE',
  /** The line has no edge URL and GATEWAY_EDGE_URL is unset. */
  'GATEWAY_EDGE_NOT_CONFIGURED',
  /** An operation nested deeper than GATEWAY_MAX_DEPTH. */
  'GATEWAY_QUERY_TOO_DEEP',
  /** More aliased fields than GATEWAY_MAX_ALIASES. */
  'GATEWAY_TOO_MANY_ALIASES',
  /** An operation whose estimated cost is above GATEWAY_MAX_COMPLEXITY. */
  'GATEWAY_QUERY_TOO_COMPLEX',
  /** The request ran past GATEWAY_REQUEST_TIMEOUT_MS (or PostgreSQL's statement_timeout). */
  'GATEWAY_REQUEST_TIMEOUT',
  /** An HTTP method /graphql does not serve (only GET and POST). */
  'GATEWAY_METHOD_NOT_ALLOWED',
  /** An operation the gateway does not run over this transport (a subscription over HTTP). */
  'GATEWAY_OPERATION_UNSUPPORTED',
  /** A replay needs per-image records (models/<model>/calibration.json, or logged cases) that are not there. */
  'GATEWAY_REPLAY_NO_RECORDS',
  /** A replay over more candidates or computation time than a request may use. */
  'GATEWAY_REPLAY_TOO_LARGE',
] as const
export type GatewayErrorCode = (typeof gatewayErrorCodes)[number]

export class GatewayError extends TokenlineError<GatewayErrorCode> {
  /** Extra public `extensions` for the client, e.g. `fields` of GATEWAY_POLICY_INVALID. */
  readonly extensions: Record<string, unknown> | undefined

  constructor(
    code: GatewayErrorCode,
    message: string,
    retriable = false,
    options?: ErrorOptions & { extensions?: Record<string, unknown> },
  ) {
    super(code, message, retriable, options)
    this.name = 'GatewayError'
    this.extensions = options?.extensions
  }
}
