import type { Logger } from '../../../../lib/log/index.ts'
import type { EdgeErrorCode } from '../errors.ts'

/**
 * Codes that say the node is in trouble (full, out of disk, storage down) or someone sent what
 * could hurt it (oversize bodies, decompression bombs): logged at warn; other refusals at info.
 */
const warnCodes: ReadonlySet<string> = new Set<EdgeErrorCode>([
  'EDGE_QUEUE_FULL',
  'EDGE_OUTBOX_FULL',
  'EDGE_DISK_FULL',
  'EDGE_STORAGE_UNAVAILABLE',
  'EDGE_MODEL_UNAVAILABLE',
  'EDGE_BODY_TOO_LARGE',
  'EDGE_IMAGE_TOO_MANY_PIXELS',
])

export type EdgeRefusal = {
  /** The `error.code` the client got. */
  code: string
  status: number
  /** Method and route pattern, e.g. `POST /v1/inspections` (no ids, no query string). */
  route: string
  remoteAddress?: string
  /** The `?line=` the request named, cut to 100 characters (it is the client's text). */
  lineId?: string | null
  /** The message the client got: it names limits, sizes and types, never the image bytes. */
  message: string
}

/**
 * One structured line per refused HTTP request (event `refused`), like the gateway's: the code,
 * the route, who asked. Never the body: only `message`, which the client got too, cut to 300
 * characters.
 */
export function logEdgeRefusal(log: Logger, r: EdgeRefusal): void {
  const line = {
    event: 'refused',
    code: r.code,
    status: r.status,
    transport: 'http',
    route: r.route,
    remoteAddress: r.remoteAddress,
    lineId: r.lineId?.slice(0, 100) ?? undefined,
    message: r.message.slice(0, 300),
  }
  if (warnCodes.has(r.code)) log.warn(line, 'request refused')
  else log.info(line, 'request refused')
}
