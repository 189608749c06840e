/**
 * One policy through the running system: the line's policy set with `updatePolicy` (reaching the
 * edge over Kafka), every held-out image POSTed to the edge's ingest with bounded concurrency,
 * then the final verdicts read back from the gateway once none is pending.
 */
import type { GatewayClient } from './gateway-client.ts'
import type { HeldOutImage } from './held-out.ts'
import { type PolicyFigures, policyFigures, type SettledCase } from './metrics.ts'
import type { BenchPolicy } from './policies.ts'

export type PolicyRun = {
  lineId: string
  figures: PolicyFigures
  /** Seconds from the first POST to the last answer of the edge. */
  submitSeconds: number
  /** Seconds from the first POST until the gateway held every final verdict. */
  settleSeconds: number
  /** POSTs the edge refused as busy (queue full) and that were sent again. */
  retries: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(200)
  }
}

/** Sets the policy and waits until the edge holds that version. */
export async function applyPolicy(
  gateway: GatewayClient,
  edgeUrl: string,
  lineId: string,
  policy: BenchPolicy,
): Promise<number> {
  const version = await gateway.updatePolicy(lineId, policy.input, `bench:cascade ${policy.name}`)
  await waitFor(
    async () => {
      const body = (await (await fetch(`${edgeUrl}/v1/lines`)).json()) as {
        lines: { lineId: string; policyVersion: number | null }[]
      }
      return body.lines.find((l) => l.lineId === lineId)?.policyVersion === version ? true : undefined
    },
    60_000,
    `the edge to hold policy version ${version} of ${lineId}`,
  )
  return version
}

/** POSTs one image; a busy edge (retriable 503) is asked again. Returns the inspection id and the retries. */
async function submit(edgeUrl: string, lineId: string, image: HeldOutImage): Promise<[string, number]> {
  for (let retries = 0; ; retries++) {
    const res = await fetch(`${edgeUrl}/v1/inspections?line=${encodeURIComponent(lineId)}`, {
      method: 'POST',
      headers: { 'content-type': image.contentType },
      body: image.bytes,
    })
    const body = (await res.json()) as { inspectionId?: string; error?: { code: string; retriable: boolean } }
    if (res.status === 201 && body.inspectionId) return [body.inspectionId, retries]
    if (!body.error?.retriable || retries > 1000)
      throw new Error(`the edge refused image ${image.id}: ${res.status} ${JSON.stringify(body.error)}`)
    await sleep(50)
  }
}

export type RunOptions = {
  gateway: GatewayClient
  edgeUrl: string
  lineId: string
  images: readonly HeldOutImage[]
  /** Images in flight at once. */
  concurrency: number
  /** How long the cloud may take to settle the last escalation after the last POST, ms. */
  settleTimeoutMs: number
  onProgress?: (done: number) => void
}

/** Pushes every image through the edge under the line's current policy and reads the verdicts back. */
export async function runPolicy(o: RunOptions): Promise<PolicyRun> {
  const from = new Date(Date.now() - 60_000)
  const idOf = new Map<string, number>()
  let next = 0
  let retries = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      for (let i = next++; i < o.images.length; i = next++) {
        const [id, r] = await submit(o.edgeUrl, o.lineId, o.images[i]!)
        idOf.set(id, i)
        retries += r
        o.onProgress?.(idOf.size)
      }
    }),
  )
  const submitSeconds = (performance.now() - t0) / 1000
  await waitFor(
    async () => {
      const c = await o.gateway.lineCounts(o.lineId, from)
      return c.inspections >= o.images.length && c.pending === 0 && c.held === 0 ? true : undefined
    },
    o.settleTimeoutMs,
    `every inspection of ${o.lineId} to have its final verdict in the gateway`,
  )
  const settleSeconds = (performance.now() - t0) / 1000
  const stored = await o.gateway.inspections(o.lineId)
  const cases: SettledCase[] = new Array(o.images.length)
  for (const s of stored) {
    const i = idOf.get(s.id)
    if (i === undefined)
      throw new Error(`the gateway holds inspection ${s.id} of ${o.lineId} that this run never sent`)
    cases[i] = {
      truth: o.images[i]!.label,
      verdict: s.verdict,
      escalated: s.escalated,
      ladder: s.ladder ?? [],
      edgeTokens: s.tokens.edge,
      cloudTokens: s.tokens.cloud,
      cost: s.cost.total,
      latencyMs: s.latencyMs,
      twoDefects: o.images[i]!.twoDefects,
    }
  }
  let missing = 0
  for (let i = 0; i < cases.length; i++) if (cases[i] === undefined) missing++
  if (stored.length !== o.images.length || missing > 0)
    throw new Error(
      `expected ${o.images.length} inspections of ${o.lineId} in the gateway but read ${stored.length}`,
    )
  return { lineId: o.lineId, figures: policyFigures(cases), submitSeconds, settleSeconds, retries }
}
