import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelManifestV1 } from '../../../../lib/contracts/model-manifest.v1.ts'
import { egressImage } from '../../../../services/edge/src/inspect/egress.ts'
import { startTestBroker, type TestBroker } from '../../lib/messaging/embedded-broker.ts'
import {
  get,
  images,
  post,
  startTestEdge,
  type TestEdge,
  testKafka,
  testPolicy,
  verdictFor,
  waitUntil,
} from './edge-fixture.ts'

let broker: TestBroker
let edge: TestEdge
let kafka: Awaited<ReturnType<typeof testKafka>>
const pngs = images(12)

beforeAll(async () => {
  broker = await startTestBroker()
  edge = await startTestEdge(broker.brokers, { EDGE_MAX_BODY_BYTES: String(2 * 1024 * 1024) })
  kafka = await testKafka(broker.brokers)
}, 60_000)

afterAll(async () => {
  await kafka?.close()
  await edge?.cleanup()
  await broker?.close()
})

type Answer = {
  inspectionId: string
  status: string
  verdict: string
  edge: { label: string; confidence: number }
  rungs: { budget: number; confidence: number }[]
  tokens: { edge: number; cloud: number }
  decision: { action: string; reason?: string; unsure: { rule: string } | null }
  policyVersion: number
  region: { row: number; col: number; size: number; grid: number } | null
}

describe('edge node over the real broker', () => {
  it('refuses a served line that has no policy yet, and a line it does not serve', async () => {
    const none = await post(edge, pngs[0]!)
    expect(none.status).toBe(409)
    expect(none.body).toMatchObject({ error: { code: 'EDGE_LINE_NO_POLICY', retriable: true } })
    const unknown = await post(edge, pngs[0]!, { line: 'line-zz' })
    expect(unknown.status).toBe(404)
    expect(unknown.body).toMatchObject({ error: { code: 'EDGE_LINE_UNKNOWN' } })
    expect((await get(`${edge.url}/v1/lines`)).body).toEqual({
      nodeId: 'edge-1',
      lines: [{ plantId: 'plant-1', lineId: 'line-a', policyVersion: null }],
    })
  })

  let confidences: number[] = []

  it('decides everything at the edge under a policy without thresholds, and publishes each result', async () => {
    await kafka.publishPolicy(testPolicy({ version: 1 }))
    await waitUntil(() => edge.policies.get('line-a'), 20_000, 'policy v1 to arrive')
    const answers: Answer[] = []
    for (const png of pngs) {
      const res = await post(edge, png)
      expect(res.status).toBe(201)
      answers.push(res.body as unknown as Answer)
    }
    for (const a of answers) {
      expect(a).toMatchObject({
        status: 'accepted',
        policyVersion: 1,
        decision: { action: 'accept' },
        tokens: { edge: 16, cloud: 0 },
      })
      expect(a.verdict).toBe(a.edge.label)
    }
    confidences = answers.map((a) => a.edge.confidence)
    await waitUntil(
      () => answers.every((a) => kafka.results.has(a.inspectionId)),
      20_000,
      'results on the topic',
    )
    expect(kafka.results.get(answers[0]!.inspectionId)![0]).toMatchObject({
      disposition: 'accepted',
      ladder: [16],
      escalationReason: null,
    })
  })

  it('applies a policy change live: unsure images climb the ladder, then escalate; the cloud verdict settles them', async () => {
    // Between the two most confident answers at 16 tokens: all images but one are unsure there and
    // climb to 64, and some stay unsure at 64 and escalate, whatever the shipped edge (a threshold at
    // the median let every climber become sure at 64 once the edge was retrained on mixed data).
    const sorted = [...confidences].sort((a, b) => a - b)
    const threshold = (sorted[sorted.length - 2]! + sorted[sorted.length - 1]!) / 2
    await kafka.publishPolicy(
      testPolicy({
        version: 2,
        edge: { model: 'edge-vit-s', budget: 16, ladder: [64] },
        escalation: {
          thresholds: { minConfidence: threshold },
          perClass: {},
          alwaysEscalate: [],
          auditRate: 0,
        },
      }),
    )
    await waitUntil(() => edge.policies.get('line-a')?.version === 2, 20_000, 'policy v2 to arrive')
    const answers: Answer[] = []
    for (const png of pngs) answers.push((await post(edge, png)).body as unknown as Answer)
    const unsureAt16 = answers.filter((a) => a.rungs[0]!.confidence < threshold)
    expect(unsureAt16.length).toBeGreaterThanOrEqual(6)
    for (const a of answers) {
      expect(a.policyVersion).toBe(2)
      if (a.rungs[0]!.confidence >= threshold) {
        expect(a).toMatchObject({ status: 'accepted', rungs: [{ budget: 16 }] })
        continue
      }
      expect(a.rungs.map((r) => r.budget)).toEqual([16, 64])
      expect(a.tokens.edge).toBe(80)
      if (a.rungs[1]!.confidence >= threshold)
        expect(a).toMatchObject({ status: 'accepted', decision: { action: 'accept' } })
      else
        expect(a).toMatchObject({
          status: 'pending',
          verdict: 'pending',
          decision: { action: 'escalate', reason: 'confidence' },
          tokens: { cloud: 256 },
        })
    }
    const escalated = answers.filter((a) => a.status === 'pending')
    expect(escalated.length).toBeGreaterThan(0)
    await waitUntil(
      () => escalated.every((a) => kafka.escalations.has(a.inspectionId)),
      20_000,
      'escalations on the topic',
    )
    const e = kafka.escalations.get(escalated[0]!.inspectionId)![0]!
    // Resized for the cloud budget: side = √256 × the cloud model's patch size.
    const cloud = JSON.parse(
      await readFile(join('models', 'cloud-vit-m', 'manifest.json'), 'utf8'),
    ) as ModelManifestV1
    const side = 16 * cloud.patchSize
    expect(e).toMatchObject({
      reason: 'confidence',
      ladder: [16, 64],
      cloud: { model: 'cloud-vit-m', budget: 256 },
      image: { encoding: 'raw', width: side, height: side, channels: cloud.channels },
    })
    expect(e.image.bytes.length).toBe(side * side * cloud.channels)
    for (const a of escalated)
      await kafka.publishVerdict(verdictFor(kafka.escalations.get(a.inspectionId)![0]!, 'crack'))
    for (const a of escalated) {
      const settled = await waitUntil(
        async () => {
          const now = (await get(`${edge.url}/v1/inspections/${a.inspectionId}`)).body
          return now.status === 'settled' ? now : undefined
        },
        20_000,
        'the verdict to settle the case',
      )
      expect(settled).toMatchObject({ verdict: 'crack', cloud: { label: 'crack' } })
    }
  })

  it('sends only the suspected region under egress "region"', async () => {
    await kafka.publishPolicy(
      testPolicy({
        version: 3,
        escalation: {
          thresholds: {},
          perClass: {},
          alwaysEscalate: ['ok', 'scratch', 'pit', 'stain', 'crack'],
          auditRate: 0,
        },
        egress: { mode: 'region', regionMarginPatches: 0 },
      }),
    )
    await waitUntil(() => edge.policies.get('line-a')?.version === 3, 20_000, 'policy v3')
    const png = pngs[3]!
    const a = (await post(edge, png)).body as unknown as Answer
    expect(a).toMatchObject({
      status: 'pending',
      decision: { action: 'escalate', reason: 'always-escalate' },
    })
    expect(a.region).not.toBeNull()
    expect(a.region!.size).toBeLessThan(a.region!.grid)
    const e = await waitUntil(
      () => kafka.escalations.get(a.inspectionId)?.[0],
      20_000,
      'the region escalation',
    )
    const manifest = JSON.parse(
      await readFile(join('models', 'cloud-vit-m', 'manifest.json'), 'utf8'),
    ) as ModelManifestV1
    const limits = { maxInputPixels: 50_000_000, maxInputBytes: 16 << 20 }
    const policy = edge.policies.get('line-a')!
    const region = await egressImage(png, policy, manifest, e.edge.patchScores, limits)
    expect(region.region).toEqual(a.region)
    expect(Buffer.compare(Buffer.from(e.image.bytes), region.image.bytes)).toBe(0)
    const whole = await egressImage(
      png,
      { ...policy, egress: { mode: 'whole', regionMarginPatches: 0 } },
      manifest,
      undefined,
      limits,
    )
    expect(Buffer.compare(whole.image.bytes, region.image.bytes)).not.toBe(0)
  })

  it('answers every bad input with its code and counts it', async () => {
    const big = await sharp({ create: { width: 10_000, height: 6_000, channels: 3, background: '#000' } })
      .png()
      .toBuffer()
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
      .gif()
      .toBuffer()
    const frame = (background: string) =>
      sharp({ create: { width: 8, height: 8, channels: 3, background } })
        .png()
        .toBuffer()
    const twoFrames = await sharp([await frame('#f00'), await frame('#0f0')], { join: { animated: true } })
      .webp()
      .toBuffer()
    const cases: [string, Uint8Array, string, number, string][] = [
      ['zero bytes', Buffer.alloc(0), 'image/png', 400, 'EDGE_IMAGE_EMPTY'],
      [
        'text, not an image',
        Buffer.from('hello, this is not a picture'),
        'image/png',
        400,
        'EDGE_NOT_AN_IMAGE',
      ],
      [
        'a PNG cut in half',
        pngs[0]!.subarray(0, pngs[0]!.length >> 1),
        'image/png',
        400,
        'EDGE_IMAGE_TRUNCATED',
      ],
      ['60 Mpx of pixels', big, 'image/png', 413, 'EDGE_IMAGE_TOO_MANY_PIXELS'],
      ['a GIF declared as PNG', gif, 'image/png', 415, 'EDGE_UNSUPPORTED_TYPE'],
      ['Content-Type text/plain', pngs[0]!, 'text/plain', 415, 'EDGE_UNSUPPORTED_TYPE'],
      ['an animated WebP', twoFrames, 'image/webp', 415, 'EDGE_IMAGE_ANIMATED'],
      [
        '3 MiB over the 2 MiB body limit',
        Buffer.concat([pngs[0]!, Buffer.alloc(3 << 20)]),
        'image/png',
        413,
        'EDGE_BODY_TOO_LARGE',
      ],
    ]
    for (const [what, body, type, status, code] of cases) {
      const res = await post(edge, body, { type })
      expect({
        what,
        status: res.status,
        code: (res.body.error as { code: string } | undefined)?.code,
      }).toEqual({ what, status, code })
    }
    const long = await post(edge, pngs[0]!, { question: 'x'.repeat(501) })
    expect(long.body).toMatchObject({ error: { code: 'EDGE_REQUEST_INVALID' } })
    const metrics = await (await fetch(`${edge.url}/metrics`)).text()
    expect(metrics).toMatch(/tokenline_edge_ingest_rejected_total\{code="EDGE_IMAGE_TRUNCATED"\} 1/)
    expect((await get(`${edge.url}/v1/inspections/00000000-0000-4000-8000-000000000000`)).status).toBe(404)
  })
})
