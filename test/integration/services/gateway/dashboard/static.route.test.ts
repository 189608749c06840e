import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ServiceHttp } from '../../../../../lib/http/index.ts'
import { dashboardRoute } from '../../../../../services/gateway/src/dashboard/static.route.ts'

const root = mkdtempSync(join(tmpdir(), 'tokenline-static-'))
const dist = join(root, 'dist')
const script = `console.log(${JSON.stringify('x'.repeat(2000))})\n`
let http: ServiceHttp
let missing: ServiceHttp
let url: string
let missingUrl: string

beforeAll(async () => {
  mkdirSync(join(dist, 'assets'), { recursive: true })
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>tokenline</title>')
  writeFileSync(join(dist, 'assets', 'index-abc123.js'), script)
  writeFileSync(join(root, 'secret.txt'), 'not for the web')
  const options = { host: '127.0.0.1', port: 0, ready: () => true }
  http = new ServiceHttp({ ...options, routes: [dashboardRoute(dist)] })
  missing = new ServiceHttp({ ...options, routes: [dashboardRoute(join(root, 'nothing-built'))] })
  url = `http://127.0.0.1:${await http.listen()}`
  missingUrl = `http://127.0.0.1:${await missing.listen()}`
})

afterAll(async () => {
  await http?.close()
  await missing?.close()
  rmSync(root, { recursive: true, force: true })
})

describe('dashboardRoute', () => {
  it('serves index.html at / with a same-origin CSP, revalidated on every load', async () => {
    for (const path of ['/', '/index.html', '/?line=demo-line']) {
      const res = await fetch(`${url}${path}`)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(res.headers.get('cache-control')).toBe('no-cache')
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
      expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'")
      expect(await res.text()).toContain('<title>tokenline</title>')
    }
  })

  it('serves hashed assets as immutable, gzipped when the client accepts it, and answers HEAD without a body', async () => {
    const res = await fetch(`${url}/assets/index-abc123.js`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(res.headers.get('content-encoding')).toBe('gzip')
    expect(await res.text()).toBe(script)

    const raw = await fetch(`${url}/assets/index-abc123.js`, { headers: { 'accept-encoding': 'identity' } })
    expect(raw.headers.get('content-encoding')).toBeNull()
    expect(await raw.text()).toBe(script)

    const wire = await rawGet(`${url}/assets/index-abc123.js`, { 'accept-encoding': 'gzip' })
    expect(wire.length).toBeLessThan(script.length)
    expect(gunzipSync(wire).toString()).toBe(script)

    const head = await fetch(`${url}/assets/index-abc123.js`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it('answers 404 for anything else: unknown files, paths out of dist, other methods', async () => {
    for (const path of [
      '/assets/missing.js',
      '/assets/..%2F..%2Fsecret.txt',
      '/assets/../secret.txt',
      '/../secret.txt',
      '/secret.txt',
      '/assets/%E0%A4%A',
      '/assets/',
    ]) {
      const res = await fetch(`${url}${path}`)
      expect(res.status, path).toBe(404)
      expect(await res.text()).not.toContain('not for the web')
    }
    expect((await fetch(`${url}/`, { method: 'POST', body: '{}' })).status).toBe(404)
  })

  it('says how to build the dashboard when it is not built', async () => {
    const res = await fetch(`${missingUrl}/`)
    expect(res.status).toBe(503)
    expect(await res.text()).toContain('npm run build:web')
    expect((await fetch(`${missingUrl}/assets/index-abc123.js`)).status).toBe(404)
  })
})

/** The body as sent on the wire (fetch would decode it). */
function rawGet(target: string, headers: Record<string, string>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get(target, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve(Buffer.concat(chunks)))
      res.on('error', reject)
    }).on('error', reject)
  })
}
