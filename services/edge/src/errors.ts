import { TokenlineError } from '../../../lib/errors/index.ts'

/** Every way the edge refuses work, with the HTTP status its API answers. */
export const edgeErrorStatus = {
  /** The request names no line, or a line this node does not serve. */
  EDGE_LINE_UNKNOWN: 404,
  /** The line is served but no policy for it has reached this node yet. */
  EDGE_LINE_NO_POLICY: 409,
  /** Content-Type is not image/png, image/jpeg or image/webp, or the bytes are another format. */
  EDGE_UNSUPPORTED_TYPE: 415,
  /** The body is empty. */
  EDGE_IMAGE_EMPTY: 400,
  /** The bytes are not an image of any accepted format. */
  EDGE_NOT_AN_IMAGE: 400,
  /** An image header but the data cannot be decoded: truncated or corrupt. */
  EDGE_IMAGE_TRUNCATED: 400,
  /** Width × height over the pixel limit (decompression bombs). */
  EDGE_IMAGE_TOO_MANY_PIXELS: 413,
  /** More bytes than EDGE_MAX_BODY_BYTES. */
  EDGE_BODY_TOO_LARGE: 413,
  /** An animated image (several frames): the edge judges single still images. */
  EDGE_IMAGE_ANIMATED: 415,
  /** A query or header parameter is malformed (e.g. a question over 500 characters). */
  EDGE_REQUEST_INVALID: 400,
  /** The bounded ingest queue is full: retry after `Retry-After` seconds. */
  EDGE_QUEUE_FULL: 429,
  /** The outbox holds EDGE_OUTBOX_MAX_ROWS / _BYTES unsent records: the link has been down too long. */
  EDGE_OUTBOX_FULL: 503,
  /** Free disk under the data directory is below EDGE_MIN_FREE_DISK_BYTES. */
  EDGE_DISK_FULL: 507,
  /** The line's policy names a model or budget this node cannot run. */
  EDGE_MODEL_UNAVAILABLE: 503,
  /**
   * A policy record names a model or budget this node cannot run. Never an HTTP answer (requests
   * then get EDGE_MODEL_UNAVAILABLE or the line's previous policy): the code the record is
   * dead-lettered with. Not retriable: retrying the record cannot help, so it must not hold the
   * partition; the node's models change only at a restart, whose replay reads the record again.
   */
  EDGE_POLICY_UNRUNNABLE: 422,
  /** The node is shutting down. */
  EDGE_CLOSING: 503,
  /** No inspection with that id on this node. */
  EDGE_INSPECTION_NOT_FOUND: 404,
  /** The node's database failed a write or read that may succeed later. */
  EDGE_STORAGE_UNAVAILABLE: 503,
} as const

export type EdgeErrorCode = keyof typeof edgeErrorStatus
export const edgeErrorCodes = Object.keys(edgeErrorStatus) as EdgeErrorCode[]

const retriableCodes: ReadonlySet<EdgeErrorCode> = new Set([
  'EDGE_QUEUE_FULL',
  'EDGE_OUTBOX_FULL',
  'EDGE_DISK_FULL',
  'EDGE_LINE_NO_POLICY',
  'EDGE_MODEL_UNAVAILABLE',
  'EDGE_CLOSING',
  'EDGE_STORAGE_UNAVAILABLE',
])

export class EdgeError extends TokenlineError<EdgeErrorCode> {
  constructor(code: EdgeErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, retriableCodes.has(code), options)
    this.name = 'EdgeError'
  }

  get status(): number {
    return edgeErrorStatus[this.code]
  }
}
