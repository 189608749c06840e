/**
 * The benchmark's side of the gateway's GraphQL contract (schema.graphql): lines, policies,
 * settled inspections, line stats and the replay's predictions, over HTTP with the admin key.
 */
import type { PolicyInput, RecommendedKnobs } from './policies.ts'

// biome-ignore lint/suspicious/noExplicitAny: answers are JSON, read field by field below
type Json = any

/** What the replay predicts for a policy (GraphQL `ReplayResult`, the fields the bench compares). */
export type Prediction = {
  images: number
  accuracy: number
  accuracyLow: number | null
  accuracyHigh: number | null
  perClassRecall: Record<string, number>
  escalationRate: number
  climbRate: number
  edgeTokensPer1k: number
  cloudTokensPer1k: number
  costPer1k: number
  latencyMsP95: number
}

/** One settled inspection as the gateway stores it. */
export type StoredInspection = {
  id: string
  verdict: string | null
  escalated: boolean
  ladder: number[] | null
  tokens: { edge: number; cloud: number }
  cost: { total: number }
  latencyMs: number | null
}

const replayFields = `images accuracy accuracyLow accuracyHigh perClassRecall { label value } escalationRate climbRate
  edgeTokensPer1k cloudTokensPer1k costPer1k latencyMsP95`

function prediction(r: Json): Prediction {
  return {
    images: r.images,
    accuracy: r.accuracy,
    accuracyLow: r.accuracyLow,
    accuracyHigh: r.accuracyHigh,
    perClassRecall: Object.fromEntries(r.perClassRecall.map((c: Json) => [c.label, c.value])),
    escalationRate: r.escalationRate,
    climbRate: r.climbRate,
    edgeTokensPer1k: r.edgeTokensPer1k,
    cloudTokensPer1k: r.cloudTokensPer1k,
    costPer1k: r.costPer1k,
    latencyMsP95: r.latencyMsP95,
  }
}

export class GatewayClient {
  constructor(
    private readonly url: string,
    private readonly key: string,
  ) {}

  async query(query: string, variables: Record<string, unknown> = {}): Promise<Json> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.key}` },
      body: JSON.stringify({ query, variables }),
    })
    const body = (await res.json()) as { data?: Json; errors?: { message: string; extensions?: Json }[] }
    if (body.errors?.length)
      throw new Error(
        `gateway answered ${body.errors.map((e) => `${e.extensions?.code ?? '?'}: ${e.message}`).join('; ')}`,
      )
    return body.data
  }

  async createPlant(id: string): Promise<void> {
    await this.query('mutation($i: CreatePlantInput!) { createPlant(input: $i) { id } }', {
      i: { id, name: id },
    })
  }

  async createLine(plantId: string, id: string, edgeUrl: string): Promise<void> {
    await this.query('mutation($i: CreateLineInput!) { createLine(input: $i) { id } }', {
      i: { id, plantId, name: id, edgeUrl },
    })
  }

  /** A new policy version for the line, published to the edges over Kafka; its version. */
  async updatePolicy(lineId: string, policy: PolicyInput, reason: string): Promise<number> {
    const d = await this.query(
      'mutation($l: ID!, $p: PolicyInput!, $r: String!) { updatePolicy(lineId: $l, policy: $p, reason: $r) { version } }',
      { l: lineId, p: policy, r: reason },
    )
    return d.updatePolicy.version
  }

  /** The policy replayed over the calibration records of its models. */
  async replay(lineId: string, policy: PolicyInput): Promise<Prediction> {
    const d = await this.query(
      `query($l: ID!, $p: PolicyInput!) { replayPolicy(lineId: $l, policy: $p, source: CALIBRATION) { ${replayFields} } }`,
      { l: lineId, p: policy },
    )
    return prediction(d.replayPolicy)
  }

  /** The cheapest candidate the gateway expects to reach `targetAccuracy` on the calibration records. */
  async recommend(
    lineId: string,
    targetAccuracy: number,
  ): Promise<{ knobs: RecommendedKnobs; prediction: Prediction; explanation: string } | null> {
    const d = await this.query(
      `query($l: ID!, $t: Float) { recommendPolicy(lineId: $l, targetAccuracy: $t, source: CALIBRATION) {
         explanation recommended { policy { edgeBudget ladder cloudBudget minConfidence minMargin maxEntropy auditRate question }
         ${replayFields} } } }`,
      { l: lineId, t: targetAccuracy },
    )
    const r = d.recommendPolicy.recommended
    if (r === null) return null
    return { knobs: r.policy, prediction: prediction(r), explanation: d.recommendPolicy.explanation }
  }

  /** Inspections of the line, and how many still wait for the cloud or a person. */
  async lineCounts(
    lineId: string,
    from: Date,
  ): Promise<{ inspections: number; pending: number; held: number }> {
    const d = await this.query(
      'query($l: ID!, $f: DateTime) { lineStats(lineId: $l, from: $f) { inspections pending held } }',
      { l: lineId, f: from.toISOString() },
    )
    return d.lineStats
  }

  /** Every inspection of the line, page by page. */
  async inspections(lineId: string): Promise<StoredInspection[]> {
    const out: StoredInspection[] = []
    let after: string | null = null
    for (;;) {
      const d: Json = await this.query(
        `query($l: ID!, $a: String) { inspections(filter: { lineId: $l }, first: 100, after: $a) {
           edges { node { id verdict escalated ladder tokens { edge cloud } cost { total } latencyMs } }
           pageInfo { endCursor hasNextPage } } }`,
        { l: lineId, a: after },
      )
      for (const e of d.inspections.edges) out.push(e.node)
      if (!d.inspections.pageInfo.hasNextPage) return out
      after = d.inspections.pageInfo.endCursor
    }
  }
}
