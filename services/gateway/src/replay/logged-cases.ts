import type { Storage } from '../../../../lib/db/index.ts'
import type { LoggedCase } from '../../../../lib/policy/replay/index.ts'

/** Newest logged inspections a LOGGED replay reads, at most (1,000 per query). */
export const MAX_LOGGED_CASES = 20_000
const PAGE = 1000

export type LoggedCases = {
  cases: LoggedCase[]
  /** Inspections read (with or without a reference). */
  scanned: number
  /** Whether older inspections were left unread past MAX_LOGGED_CASES. */
  truncated: boolean
}

/**
 * A line's newest logged inspections with the edge's probabilities at its final rung, and with a
 * reference: the latest review, else the cloud's verdict. Pages by the repository's keyset cursor
 * (one query for the inspections and one for their reviews per 1,000).
 */
export async function loadLoggedCases(
  storage: Storage,
  lineId: string,
  models: { edge: string; cloud: string },
  limit = MAX_LOGGED_CASES,
): Promise<LoggedCases> {
  const cases: LoggedCase[] = []
  let after: string | null = null
  let scanned = 0
  for (;;) {
    const page = await storage.inspections.list({ lineId }, { first: Math.min(PAGE, limit - scanned), after })
    scanned += page.rows.length
    const usable = page.rows.filter(
      (r) =>
        r.edgeProbabilities !== null &&
        r.edgeBudget !== null &&
        r.edgeModel === models.edge &&
        (r.cloudModel === null || r.cloudModel === models.cloud),
    )
    const reviews = await storage.reviews.listForMany(usable.map((r) => r.id))
    for (const r of usable) {
      const review = reviews.get(r.id)?.at(-1)?.label ?? null
      if (review === null && r.cloudLabel === null) continue
      cases.push({
        id: r.id,
        edgeProbabilities: r.edgeProbabilities!,
        edgeBudget: r.edgeBudget!,
        edgeTokens: r.edgeTokens ?? r.edgeBudget!,
        edgeLatencyMs: r.edgeLatencyMs ?? 0,
        cloudLabel: r.cloudLabel,
        cloudLatencyMs: r.cloudLatencyMs,
        reviewLabel: review,
      })
    }
    if (!page.hasNextPage || scanned >= limit) return { cases, scanned, truncated: page.hasNextPage }
    after = page.endCursor
  }
}
