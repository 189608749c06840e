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
  /** POSTs sent again after a reset connection, and inspections of those the edge had taken anyway (left out). */
  resent: number
  duplicates: number
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

/**
 * POSTs one image; a busy edge (retriable 503) is asked again, and so is a connection the edge's
 * HTTP server reset (a keep-alive socket closed under load). Returns the inspection id, the busy
 * retries and the resent requests whose first attempt may have been accepted without an answer.
 */
async function submit(
  edgeUrl: string,
  lineId: string,
  image: HeldOutImage,
): Promise<{ id: string; busy: number; resent: number }> {
  let busy = 0
  let resent = 0
  for (;;) {
    let res: Response
    try {
      res = await fetch(`${edgeUrl}/v1/inspections?line=${encodeURIComponent(lineId)}`, {
        method: 'POST',
        headers: { 'content-type': image.contentType },
        body: image.bytes,
      })
    } catch (err) {
      if (++resent > 5) throw new Error(`could not POST image ${image.id} to the edge`, { cause: err })
      await sleep(200)
      continue
    }
    const body = (await res.json()) as { inspectionId?: string; error?: { code: string; retriable: boolean } }
    if (res.status === 201 && body.inspectionId) return { id: body.inspectionId, busy, resent }
    if (!body.error?.retriable || ++busy > 1000)
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
  let resent = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      for (let i = next++; i < o.images.length; i = next++) {
        const answer = await submit(o.edgeUrl, o.lineId, o.images[i]!)
        idOf.set(answer.id, i)
        retries += answer.busy
        resent += answer.resent
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
  let duplicates = 0
  for (const s of stored) {
    const i = idOf.get(s.id)
    if (i === undefined) {
      // Only a resent POST whose first attempt the edge took (its answer lost) may leave one.
      if (++duplicates > resent)
        throw new Error(`the gateway holds inspection ${s.id} of ${o.lineId} that this run never sent`)
      continue
    }
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
  if (missing > 0)
    throw new Error(
      `expected ${o.images.length} inspections of ${o.lineId} in the gateway but ${missing} are missing (read ${stored.length})`,
    )
  return {
    lineId: o.lineId,
    figures: policyFigures(cases),
    submitSeconds,
    settleSeconds,
    retries,
    resent,
    duplicates,
  }
}
