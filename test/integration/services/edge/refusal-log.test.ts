/**
 * Issue 14: every HTTP refusal of the edge is answered with its code AND logged, like the
 * gateway's (one structured `refused` line: code, route, remote address, line; never the image
 * bytes). The edges here run with Kafka unreachable (nothing listens on the port): refusals do
 * not need it, and an outbox that cannot drain is how EDGE_OUTBOX_FULL is reached.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../lib/messaging/embedded-broker.ts'
import { get, images, post, startTestEdge, type TestEdge, testPolicy, waitUntil } from './edge-fixture.ts'

type LogLine = Record<string, unknown>
const raw: string[] = []
const lines: LogLine[] = []
const log = pino(
  { level: 'info', base: { service: 'edge' } },
  {
    write(s: string) {
      raw.push(s)
      lines.push(JSON.parse(s) as LogLine)
    },
  },
)

const dirs: string[] = []
let edge: TestEdge
/** Concurrency 1, one waiting image: a burst overflows its queue. */
let narrow: TestEdge
/** Bytes that must never reach the log, inside the refused bodies. */
const marker = 'MARKER-7f3a9c-IMAGE-BYTES'

const everythingEscalates = testPolicy({
  version: 1,
  escalation: { thresholds: { minConfidence: 1 }, perClass: {}, alwaysEscalate: [], auditRate: 0 },
  deadlineMs: 600_000,
})

function dataDirWithPolicy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tokenline-edge-refusals-'))
  dirs.push(dir)
  mkdirSync(join(dir, 'edge-edge-1'), { recursive: true })
  writeFileSync(join(dir, 'edge-edge-1', 'policies.json'), JSON.stringify([everythingEscalates]))
  return dir
}

beforeAll(async () => {
  const brokers = [`127.0.0.1:${await freePort()}`]
  edge = await startTestEdge(
    brokers,
    {
      EDGE_LINES: 'plant-1/line-a,plant-1/line-b',
      EDGE_MAX_BODY_BYTES: String(64 * 1024),
      // One escalated inspection writes two rows (result + escalation): the second image is refused.
      EDGE_OUTBOX_MAX_ROWS: '2',
    },
    dataDirWithPolicy(),
    log,
  )
  narrow = await startTestEdge(
    brokers,
    { EDGE_CONCURRENCY: '1', EDGE_QUEUE_MAX: '1' },
    dataDirWithPolicy(),
    log,
  )
}, 60_000)

afterAll(async () => {
  await edge?.close()
  await narrow?.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const refusedSince = (mark: number) => lines.slice(mark).filter((l) => l.event === 'refused')

async function expectLogged(mark: number, want: LogLine): Promise<LogLine> {
  return waitUntil(
    () =>
      refusedSince(mark).find((l) =>
        Object.entries(want).every(([k, v]) => JSON.stringify(l[k]) === JSON.stringify(v)),
      ),
    5_000,
    `a refused line with ${JSON.stringify(want)}; logged: ${JSON.stringify(refusedSince(mark))}`,
  )
}

async function postRaw(
  target: TestEdge,
  query: string,
  body: Uint8Array,
  type = 'image/png',
): Promise<{ status: number; code: string }> {
  const res = await fetch(`${target.url}/v1/inspections?${query}`, {
    method: 'POST',
    headers: { 'content-type': type },
    body: Buffer.from(body),
  })
  const answer = (await res.json()) as { error?: { code: string } }
  return { status: res.status, code: answer.error?.code ?? 'none' }
}

const png = images(1, 7_200_000)[0]!
const withMarker = (bytes: Uint8Array) => Buffer.concat([Buffer.from(bytes), Buffer.from(marker)])

describe('edge refusals are answered with codes and logged', () => {
  const cases: [string, string, Uint8Array, string, number, string][] = [
    // what, query, body, content type, status, code
    ['no line', '', withMarker(png), 'image/png', 400, 'EDGE_REQUEST_INVALID'],
    ['a line not served', 'line=line-zz', withMarker(png), 'image/png', 404, 'EDGE_LINE_UNKNOWN'],
    ['a served line without policy', 'line=line-b', withMarker(png), 'image/png', 409, 'EDGE_LINE_NO_POLICY'],
    [
      'a text body',
      'line=line-a',
      Buffer.from(`hello ${marker}`),
      'text/plain',
      415,
      'EDGE_UNSUPPORTED_TYPE',
    ],
    ['an empty body', 'line=line-a', Buffer.alloc(0), 'image/png', 400, 'EDGE_IMAGE_EMPTY'],
    [
      'bytes that are no image',
      'line=line-a',
      Buffer.from(marker.repeat(4)),
      'image/png',
      400,
      'EDGE_NOT_AN_IMAGE',
    ],
    [
      'a truncated PNG',
      'line=line-a',
      withMarker(png.subarray(0, 200)),
      'image/png',
      400,
      'EDGE_IMAGE_TRUNCATED',
    ],
    [
      'a body over EDGE_MAX_BODY_BYTES',
      'line=line-a',
      Buffer.from(marker.repeat(4000)),
      'image/png',
      413,
      'EDGE_BODY_TOO_LARGE',
    ],
  ]
  for (const [what, query, body, type, status, code] of cases) {
    it(`${what}: ${status} ${code}, logged with its code, route and address`, async () => {
      const mark = lines.length
      expect({ what, ...(await postRaw(edge, query, body, type)) }).toEqual({ what, status, code })
      const line = await expectLogged(mark, { code, status, route: 'POST /v1/inspections' })
      expect(line.remoteAddress).toMatch(/127\.0\.0\.1|::1/)
      expect(line.message).toEqual(expect.any(String))
      if (query.startsWith('line=')) expect(line.lineId).toBe(query.slice('line='.length))
    })
  }

  it('an inspection id this node does not hold: 404 EDGE_INSPECTION_NOT_FOUND, logged with the route pattern', async () => {
    const mark = lines.length
    expect((await get(`${edge.url}/v1/inspections/no-such-id`)).status).toBe(404)
    await expectLogged(mark, {
      code: 'EDGE_INSPECTION_NOT_FOUND',
      status: 404,
      route: 'GET /v1/inspections/:id',
      level: 30,
    })
  })

  it('a full outbox (Kafka away): 503 EDGE_OUTBOX_FULL, logged at warn', async () => {
    expect((await post(edge, png)).status).toBe(201)
    await waitUntil(
      async () =>
        ((await get(`${edge.url}/v1/health`)).body as { outbox: { rows: number } }).outbox.rows >= 2,
      10_000,
      'the outbox to fill',
    )
    const mark = lines.length
    expect(await postRaw(edge, 'line=line-a', withMarker(png))).toEqual({
      status: 503,
      code: 'EDGE_OUTBOX_FULL',
    })
    await expectLogged(mark, { code: 'EDGE_OUTBOX_FULL', status: 503, lineId: 'line-a', level: 40 })
  })

  it('a burst past the ingest queue: each 429 EDGE_QUEUE_FULL is logged once', async () => {
    const mark = lines.length
    const answers = await Promise.all(
      images(16, 7_300_000).map((p) => postRaw(narrow, 'line=line-a', withMarker(p))),
    )
    const full = answers.filter((a) => a.code === 'EDGE_QUEUE_FULL')
    expect(full.length).toBeGreaterThan(0)
    await waitUntil(
      () =>
        refusedSince(mark).filter((l) => l.code === 'EDGE_QUEUE_FULL').length === full.length || undefined,
      5_000,
      `${full.length} EDGE_QUEUE_FULL lines`,
    )
  })

  it('never writes the image bytes to the log', () => {
    expect(refusedSince(0).length).toBeGreaterThanOrEqual(12)
    expect(raw.filter((l) => l.includes(marker) || l.includes('PNG\\r\\n'))).toEqual([])
  })
})
