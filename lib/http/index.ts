import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { collectDefaultMetrics, Registry } from 'prom-client'

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean

export type ServiceHttpOptions = {
  host: string
  /** 0 picks a free port; read the chosen one from `port` after `listen()`. */
  port: number
  /** `/readyz` answers 200 only while this returns true (dependencies connected). */
  ready: () => boolean | Promise<boolean>
  /** Prometheus registry served at `/metrics`; a fresh one with process metrics by default. */
  registry?: Registry
  /** Extra handlers tried in order before 404; return true when handled. */
  routes?: Route[]
  /** Largest request line plus headers (bytes); default Node's 16 KiB. Longer requests get an empty 431. */
  maxHeaderSize?: number
}

/**
 * The HTTP face every service shares: `/healthz` (process alive), `/readyz` (dependencies up),
 * `/metrics` (Prometheus text). Services add their own routes.
 */
export class ServiceHttp {
  readonly registry: Registry
  private readonly server: Server
  private boundPort = 0

  constructor(private readonly options: ServiceHttpOptions) {
    this.registry = options.registry ?? newRegistry()
    this.server = createServer({ maxHeaderSize: options.maxHeaderSize }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: { code: 'INTERNAL', message: (err as Error).message } }))
      })
    })
  }

  get port(): number {
    return this.boundPort
  }

  get httpServer(): Server {
    return this.server
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    this.boundPort = (this.server.address() as AddressInfo).port
    return this.boundPort
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.server.closeIdleConnections()
    })
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET' && path === '/healthz') return json(res, 200, { status: 'ok' })
    if (req.method === 'GET' && path === '/readyz') {
      const ready = await this.options.ready()
      return json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' })
    }
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': this.registry.contentType })
      res.end(await this.registry.metrics())
      return
    }
    for (const route of this.options.routes ?? []) {
      if (await route(req, res)) return
    }
    json(res, 404, { error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${path}` } })
  }
}

/** A registry with Node process metrics, prefixed per service (`tokenline_broker_…`). */
export function newRegistry(prefix?: string): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: prefix ? `${prefix}_` : '' })
  return registry
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}
