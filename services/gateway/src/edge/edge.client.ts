import { z } from 'zod'
import type { LineRow } from '../../../../lib/db/index.ts'
import { GatewayError } from '../errors.ts'
import type { SubmittedInspection } from '../graphql/resolvers.generated.ts'

export type EdgeClientOptions = {
  /** Edge for lines without their own `edgeUrl` (GATEWAY_EDGE_URL). */
  defaultUrl: string | undefined
  /** Largest decoded image accepted (bytes, GATEWAY_MAX_SUBMIT_BYTES). */
  maxSubmitBytes: number
  /** How long to wait for the edge's answer (ms). */
  timeoutMs: number
}

/** The edge's answer to `POST /v1/inspections` (services/edge/src/inspect/inspector.ts, InspectionAnswer), the part used here. */
type EdgeAnswer = {
  inspectionId: string
  status: 'accepted' | 'pending' | 'settled' | 'held' | 'fallback'
  edge: { label: string; confidence: number }
}

const base64 = /^[A-Za-z0-9+/]*={0,2}$/

/** The edge's `GET /v1/health` body (services/edge/src/edge.ts). */
const edgeHealthBody = z.object({
  nodeId: z.string(),
  kafka: z.enum(['up', 'down']),
  outbox: z.object({
    rows: z.number().int().nonnegative(),
    bytes: z.number().nonnegative(),
    oldestCreatedAt: z.iso.datetime({ offset: true }).nullable(),
  }),
  queue: z.object({ waiting: z.number().int().nonnegative(), active: z.number().int().nonnegative() }),
  // CapacityGuard.problems() gives strings; anything else is shown as its JSON.
  problems: z.array(z.unknown()).transform((list) => list.map(problemText)),
  lines: z.array(
    z.object({
      plantId: z.string().optional(),
      lineId: z.string(),
      policyVersion: z.number().int().nullable(),
    }),
  ),
})

export type EdgeHealthBody = z.infer<typeof edgeHealthBody>

/** What asking an edge's `/v1/health` gave: its report, or why there is none. Never thrown. */
export type EdgeHealthResult =
  | { url: string; reachable: true; report: EdgeHealthBody }
  | { url: string; reachable: false; error: string }

function problemText(p: unknown): string {
  if (typeof p === 'string') return p
  if (p && typeof p === 'object' && typeof (p as { message?: unknown }).message === 'string') {
    const code = (p as { code?: unknown }).code
    return typeof code === 'string'
      ? `${code}: ${(p as { message: string }).message}`
      : (p as { message: string }).message
  }
  return JSON.stringify(p)
}

/** How long one edge's health answer is reused (ms). */
const healthCacheMs = 2_000
/** How long to wait for an edge's `/v1/health` (ms). */
const healthTimeoutMs = 2_000

/**
 * Forwards submitted images to a line's edge node (`POST <edge>/v1/inspections?line=&question=`),
 * which decides them like any other image; maps its answer and errors for GraphQL.
 */
export class EdgeClient {
  /** Per edge URL: the answer being fetched or recently fetched, and when it settled. */
  private readonly healthCache = new Map<string, { at: number; result: Promise<EdgeHealthResult> }>()

  constructor(private readonly options: EdgeClientOptions) {}

  /**
   * The edge's own report (`GET <url>/v1/health`), cached about 2 s per URL; concurrent callers
   * share one request. Unreachable, slow (2 s), non-200 or malformed answers give `reachable: false`.
   */
  health(url: string): Promise<EdgeHealthResult> {
    const now = Date.now()
    const cached = this.healthCache.get(url)
    if (cached && now - cached.at < healthCacheMs) return cached.result
    // `at` is Infinity while in flight (always reused), then the time it settled.
    const entry = { at: Number.POSITIVE_INFINITY, result: this.fetchHealth(url) }
    entry.result = entry.result.finally(() => {
      entry.at = Date.now()
    })
    this.healthCache.set(url, entry)
    for (const [key, value] of this.healthCache) {
      if (now - value.at >= healthCacheMs) this.healthCache.delete(key)
    }
    return entry.result
  }

  private async fetchHealth(url: string): Promise<EdgeHealthResult> {
    let res: Response
    try {
      res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(healthTimeoutMs) })
    } catch (err) {
      const e = err as Error
      const why =
        e.name === 'TimeoutError'
          ? `no answer within ${healthTimeoutMs} ms`
          : `${e.message}${(e.cause as Error | undefined)?.message ? ` (${(e.cause as Error).message})` : ''}`
      return { url, reachable: false, error: `GET ${url}/v1/health failed: ${why}` }
    }
    let text: string
    try {
      text = await res.text()
    } catch (err) {
      return {
        url,
        reachable: false,
        error: `GET ${url}/v1/health: reading the body failed: ${(err as Error).message}`,
      }
    }
    if (res.status !== 200) {
      return {
        url,
        reachable: false,
        error: `GET ${url}/v1/health answered HTTP ${res.status}: ${text.slice(0, 200)}`,
      }
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return {
        url,
        reachable: false,
        error: `GET ${url}/v1/health answered something that is not JSON: ${text.slice(0, 200)}`,
      }
    }
    const parsed = edgeHealthBody.safeParse(json)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      return {
        url,
        reachable: false,
        error: `GET ${url}/v1/health answered an unexpected body: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      }
    }
    return { url, reachable: true, report: parsed.data }
  }

  /** The edge serving `line`: its own URL, else GATEWAY_EDGE_URL. */
  urlFor(line: Pick<LineRow, 'edgeUrl'>): string | undefined {
    return line.edgeUrl ?? this.options.defaultUrl
  }

  /** Decodes the base64 image, refusing bad or oversized input before anything is sent. */
  decode(imageBase64: string): Buffer {
    const text = imageBase64.replace(/\s+/g, '').replace(/^data:image\/[a-z]+;base64,/, '')
    const max = this.options.maxSubmitBytes
    if (Math.floor((text.length * 3) / 4) - 2 > max) {
      throw new GatewayError(
        'GATEWAY_IMAGE_TOO_LARGE',
        `expected an image of at most ${max} bytes (GATEWAY_MAX_SUBMIT_BYTES); received about ${Math.floor((text.length * 3) / 4)}`,
      )
    }
    if (text.length === 0 || text.length % 4 !== 0 || !base64.test(text)) {
      throw new GatewayError(
        'GATEWAY_ARGUMENT_INVALID',
        `expected imageBase64 to be a PNG or JPEG file in standard base64 (A–Z a–z 0–9 + /, padded with =); received ${text.length} characters that are not`,
      )
    }
    const bytes = Buffer.from(text, 'base64')
    if (bytes.length > max) {
      throw new GatewayError(
        'GATEWAY_IMAGE_TOO_LARGE',
        `expected an image of at most ${max} bytes (GATEWAY_MAX_SUBMIT_BYTES); received ${bytes.length}`,
      )
    }
    return bytes
  }

  async submit(
    line: LineRow,
    image: Buffer,
    question: string | null | undefined,
  ): Promise<SubmittedInspection> {
    const base = this.urlFor(line)
    if (!base) {
      throw new GatewayError(
        'GATEWAY_EDGE_NOT_CONFIGURED',
        `line ${line.id} has no edge node: set its edgeUrl (createLine) or GATEWAY_EDGE_URL`,
      )
    }
    const params = new URLSearchParams({ line: line.id })
    if (question != null && question !== '') params.set('question', question)
    let res: Response
    try {
      res = await fetch(`${base}/v1/inspections?${params}`, {
        method: 'POST',
        headers: { 'content-type': contentType(image) },
        body: image,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      })
    } catch (err) {
      throw new GatewayError(
        'GATEWAY_EDGE_UNAVAILABLE',
        `the edge of line ${line.id} at ${base} did not answer: ${(err as Error).message}`,
        true,
        { cause: err },
      )
    }
    const text = await res.text().catch(() => '')
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }
    if (res.status === 201 && isAnswer(body)) {
      return {
        id: body.inspectionId,
        disposition: body.status === 'accepted' ? 'ACCEPTED' : body.status === 'held' ? 'HELD' : 'ESCALATED',
        edgeLabel: body.edge.label,
        edgeConfidence: body.edge.confidence,
      }
    }
    const error = (body as { error?: { code?: unknown; message?: unknown; retriable?: unknown } } | undefined)
      ?.error
    const edgeCode = typeof error?.code === 'string' ? error.code : `HTTP_${res.status}`
    const message = typeof error?.message === 'string' ? error.message : text.slice(0, 200)
    if (res.status === 429 || res.status >= 500 || error?.retriable === true || res.status < 400) {
      throw new GatewayError(
        'GATEWAY_EDGE_UNAVAILABLE',
        `the edge of line ${line.id} could not take the image now (${edgeCode}: ${message})`,
        true,
        { extensions: { edgeCode, retryAfter: res.headers.get('retry-after') ?? undefined } },
      )
    }
    throw new GatewayError(
      'GATEWAY_EDGE_REJECTED',
      `the edge refused the image: ${edgeCode}: ${message}`,
      false,
      {
        extensions: { edgeCode },
      },
    )
  }
}

/** The edge wants the image's own type; anything else it refuses with EDGE_UNSUPPORTED_TYPE, which is passed on. */
function contentType(bytes: Buffer): string {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png'
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg'
  if (
    bytes.subarray(0, 4).toString('latin1') === 'RIFF' &&
    bytes.subarray(8, 12).toString('latin1') === 'WEBP'
  ) {
    return 'image/webp'
  }
  return 'application/octet-stream'
}

function isAnswer(body: unknown): body is EdgeAnswer {
  const b = body as Partial<EdgeAnswer> | undefined
  return (
    typeof b?.inspectionId === 'string' &&
    typeof b.status === 'string' &&
    typeof b.edge?.label === 'string' &&
    typeof b.edge.confidence === 'number'
  )
}
