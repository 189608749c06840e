import { afterEach, describe, expect, it } from 'vitest'
import { json, newRegistry, ServiceHttp } from '../../../../lib/http/index.ts'

const servers: ServiceHttp[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

async function start(options: Partial<ConstructorParameters<typeof ServiceHttp>[0]> = {}): Promise<string> {
  const http = new ServiceHttp({ host: '127.0.0.1', port: 0, ready: () => true, ...options })
  servers.push(http)
  const port = await http.listen()
  expect(port).toBeGreaterThan(0)
  expect(http.port).toBe(port)
  return `http://127.0.0.1:${port}`
}

describe('ServiceHttp', () => {
  it('answers /healthz 200 whatever the dependencies', async () => {
    const base = await start({ ready: () => false })
    const res = await fetch(`${base}/healthz`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('answers /readyz 200 or 503 following ready()', async () => {
    let ready = false
    const base = await start({ ready: async () => ready })
    expect((await fetch(`${base}/readyz`)).status).toBe(503)
    ready = true
    const res = await fetch(`${base}/readyz`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ready' })
  })

  it('serves Prometheus text at /metrics with the registry prefix', async () => {
    const base = await start({ registry: newRegistry('tokenline_test') })
    const res = await fetch(`${base}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    expect(await res.text()).toContain('tokenline_test_process_cpu_user_seconds_total')
  })

  it('tries extra routes in order, then answers 404 with a code', async () => {
    const base = await start({
      routes: [
        (req, res) => {
          if (req.url !== '/hello') return false
          json(res, 200, { hello: 'world' })
          return true
        },
      ],
    })
    expect(await (await fetch(`${base}/hello`)).json()).toEqual({ hello: 'world' })
    const missing = await fetch(`${base}/nope?x=1`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route for GET /nope' } })
  })

  it('turns a throwing route into a 500 with a code', async () => {
    const base = await start({
      routes: [
        () => {
          throw new Error('boom')
        },
      ],
    })
    const res = await fetch(`${base}/anything`)
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ error: { code: 'INTERNAL', message: 'boom' } })
  })
})
