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

/**
 * Forwards submitted images to a line's edge node (`POST <edge>/v1/inspections?line=&question=`),
 * which decides them like any other image; maps its answer and errors for GraphQL.
 */
export class EdgeClient {
  constructor(private readonly options: EdgeClientOptions) {}

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
