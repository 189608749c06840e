import { readFile, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Route } from '../../../../lib/http/index.ts'
import { dashboardDistDir } from './dashboard-build.ts'

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
}

/**
 * Nothing on the page may come from elsewhere (plants are often offline, and a key typed into it
 * must not leak): scripts, styles and connections to this origin only, images also as data: URLs
 * (inspection thumbnails). Inline styles stay allowed for chart colours and uPlot's layout.
 */
export const dashboardCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

type Cached = { mtimeMs: number; raw: Buffer; gzip: Buffer }

/**
 * The built dashboard (Vite's `dist/`) at `/`: `index.html` at `/` and `/index.html` (revalidated
 * on every load), hashed files under `/assets/` (cached for a year: a new build has new names).
 * Only GET and HEAD of those paths; anything else falls through to the next route (404). When the
 * build is missing, `/` answers 503 saying how to build it instead of an empty page.
 */
export function dashboardRoute(distDir = dashboardDistDir): Route {
  const cache = new Map<string, Cached>()
  return async (req, res) => {
    const method = req.method ?? 'GET'
    if (method !== 'GET' && method !== 'HEAD') return false
    const path = decodeURIComponentSafe(new URL(req.url ?? '/', 'http://gateway').pathname)
    let file: string
    let immutable = false
    if (path === '/' || path === '/index.html') {
      file = 'index.html'
    } else if (path !== undefined && /^\/assets\/[A-Za-z0-9._-]+$/.test(path) && !path.includes('..')) {
      file = path.slice(1)
      immutable = true
    } else {
      return false
    }
    const loaded = await load(cache, join(distDir, file))
    if (!loaded) {
      if (immutable) return false
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
      res.end(`the dashboard is not built: run npm run build:web (expected ${join(distDir, 'index.html')})\n`)
      return true
    }
    const gzip =
      /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && loaded.gzip.length < loaded.raw.length
    const body = gzip ? loaded.gzip : loaded.raw
    res.writeHead(200, {
      'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      ...(file === 'index.html'
        ? { 'content-security-policy': dashboardCsp, 'x-frame-options': 'DENY' }
        : {}),
    })
    res.end(method === 'HEAD' ? undefined : body)
    return true
  }
}

/** The file's bytes and their gzip, re-read when its mtime changes (a rebuild under a running gateway). */
async function load(cache: Map<string, Cached>, path: string): Promise<Cached | undefined> {
  let mtimeMs: number
  try {
    const info = await stat(path)
    if (!info.isFile()) return undefined
    mtimeMs = info.mtimeMs
  } catch {
    cache.delete(path)
    return undefined
  }
  const hit = cache.get(path)
  if (hit && hit.mtimeMs === mtimeMs) return hit
  const raw = await readFile(path).catch(() => undefined)
  if (!raw) return undefined
  const entry = { mtimeMs, raw, gzip: gzipSync(raw) }
  cache.set(path, entry)
  return entry
}

function decodeURIComponentSafe(value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}
