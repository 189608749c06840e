import type { IncomingMessage, ServerResponse } from 'node:http'
import { isTokenlineError } from '../../../../lib/errors/index.ts'
import { json, type Route } from '../../../../lib/http/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import { EdgeError } from '../errors.ts'
import type { Inspector } from '../inspect/inspector.ts'
import type { EdgeMetrics } from '../metrics.ts'
import type { PolicyStore } from '../policy/policy.store.ts'
import { logEdgeRefusal } from './refusal-log.ts'
import type { WorkQueue } from './work-queue.ts'

export type IngestRoutesDeps = {
  inspector: Inspector
  queue: WorkQueue
  policies: PolicyStore
  metrics: EdgeMetrics
  log: Logger
  maxBodyBytes: number
  nodeId: string
}

/**
 * The edge's HTTP API:
 *   POST /v1/inspections?line=<lineId>[&question=…]   body = the image (image/png | image/jpeg | image/webp)
 *        → 201 the inspection (verdict, or `pending` while the cloud looks), or an error
 *          `{ error: { code, message, retriable } }` with the code's status (429 + Retry-After when the queue is full)
 *   GET  /v1/inspections/<id>                         → 200 the inspection as it stands now
 *   GET  /v1/lines                                    → 200 the lines this node serves with their policy version
 */
export function ingestRoutes(deps: IngestRoutesDeps): Route[] {
  return [
    async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://edge')
      if (url.pathname === '/v1/inspections' && req.method === 'POST') {
        await postInspection(deps, url, req, res)
        return true
      }
      const match = /^\/v1\/inspections\/([^/]+)$/.exec(url.pathname)
      if (match && req.method === 'GET') {
        await answer(deps, req, 'GET /v1/inspections/:id', res, 200, () =>
          deps.inspector.get(decodeURIComponent(match[1]!)),
        )
        return true
      }
      if (url.pathname === '/v1/lines' && req.method === 'GET') {
        json(res, 200, {
          nodeId: deps.nodeId,
          lines: deps.policies.servedLines().map((l) => ({
            plantId: l.plantId,
            lineId: l.lineId,
            policyVersion: deps.policies.get(l.lineId)?.version ?? null,
          })),
        })
        return true
      }
      return false
    },
  ]
}

async function postInspection(
  deps: IngestRoutesDeps,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  await answer(deps, req, 'POST /v1/inspections', res, 201, async () => {
    const lineId = url.searchParams.get('line')
    if (!lineId) {
      req.resume()
      throw new EdgeError('EDGE_REQUEST_INVALID', 'expected the line as ?line=<lineId> but received none')
    }
    const question = url.searchParams.get('question')
    if (!deps.policies.isServed(lineId)) {
      req.resume()
      throw new EdgeError(
        'EDGE_LINE_UNKNOWN',
        `expected line to be one of ${deps.policies
          .servedLines()
          .map((l) => l.lineId)
          .join(', ')} but received ${JSON.stringify(lineId)}`,
      )
    }
    if (deps.queue.full) {
      req.resume()
      throw new EdgeError(
        'EDGE_QUEUE_FULL',
        `expected room in the ingest queue but ${deps.queue.depth} images are waiting`,
      )
    }
    const bytes = await readBody(req, deps.maxBodyBytes)
    return deps.queue.run(() =>
      deps.inspector.inspect({
        lineId,
        bytes,
        contentType: req.headers['content-type'],
        question,
        source: 'http',
      }),
    )
  })
}

async function answer(
  deps: IngestRoutesDeps,
  req: IncomingMessage,
  route: string,
  res: ServerResponse,
  status: number,
  produce: () => Promise<unknown>,
): Promise<void> {
  try {
    json(res, status, await produce())
  } catch (err) {
    if (err instanceof EdgeError) {
      deps.metrics.rejected.inc({ code: err.code })
      if (err.code === 'EDGE_QUEUE_FULL') res.setHeader('retry-after', '1')
      if (err.code === 'EDGE_OUTBOX_FULL' || err.code === 'EDGE_DISK_FULL') res.setHeader('retry-after', '30')
      if (err.code === 'EDGE_BODY_TOO_LARGE') res.setHeader('connection', 'close')
      logEdgeRefusal(deps.log, {
        code: err.code,
        status: err.status,
        route,
        remoteAddress: req.socket.remoteAddress,
        lineId: new URL(req.url ?? '/', 'http://edge').searchParams.get('line'),
        message: err.message,
      })
      json(res, err.status, { error: { code: err.code, message: err.message, retriable: err.retriable } })
      return
    }
    deps.metrics.rejected.inc({ code: isTokenlineError(err) ? err.code : 'INTERNAL' })
    deps.log.error({ err }, 'inspection failed')
    const code = isTokenlineError(err) ? err.code : 'INTERNAL'
    json(res, 500, {
      error: {
        code,
        message: (err as Error).message,
        retriable: isTokenlineError(err) ? err.retriable : false,
      },
    })
  }
}

/** Reads the body up to `max` bytes; beyond it stops reading and fails with EDGE_BODY_TOO_LARGE. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > max) {
    req.resume()
    return Promise.reject(
      new EdgeError(
        'EDGE_BODY_TOO_LARGE',
        `expected at most ${max} bytes of image (EDGE_MAX_BODY_BYTES) but Content-Length says ${declared}`,
      ),
    )
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let failed = false
    req.on('data', (chunk: Buffer) => {
      if (failed) return
      size += chunk.length
      if (size > max) {
        failed = true
        req.resume()
        reject(
          new EdgeError(
            'EDGE_BODY_TOO_LARGE',
            `expected at most ${max} bytes of image (EDGE_MAX_BODY_BYTES) but received more`,
          ),
        )
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, size))
    })
    req.on('error', (err) => {
      if (!failed) reject(err)
    })
  })
}
