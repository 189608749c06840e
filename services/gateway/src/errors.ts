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
  /** A replay needs per-image records (models/<model>/calibration.json, or logged cases) that are not there. */
  'GATEWAY_REPLAY_NO_RECORDS',
  /** A replay over more candidates or computation time than a request may use. */
  'GATEWAY_REPLAY_TOO_LARGE',
] as const
export type GatewayErrorCode = (typeof gatewayErrorCodes)[number]

export class GatewayError extends TokenlineError<GatewayErrorCode> {}
