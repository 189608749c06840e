import type { Storage } from '../../../../lib/db/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import { type PolicyV2, policyPayloadV2 } from '../../../../lib/messaging/index.ts'
import type { PolicyBody } from './policy-document.ts'

export const demoPlant = { id: 'demo-plant', name: 'Demo plant' }
export const demoLine = { id: 'demo-line', plantId: demoPlant.id, name: 'Demo line (generated images)' }

/**
 * First start of an empty database with GATEWAY_DEMO on (what `npm start` does): one plant, the
 * line the demo camera feeds, and its first policy, so the whole loop runs with no setup.
 * Budgets come from the registered models' manifests (demoPolicyBody).
 * Does nothing when any plant exists.
 */
export async function seedDemo(storage: Storage, log: Logger): Promise<boolean> {
  if ((await storage.plants.list()).length > 0) return false
  const models = await storage.models.list()
  const edge = models.find((m) => m.role === 'edge')
  const cloud = models.find((m) => m.role === 'cloud')
  if (!edge || !cloud) {
    log.warn('demo not seeded: the models folder has no edge or no cloud model')
    return false
  }
  const body = demoPolicyBody(edge, cloud)
  await storage.plants.upsert(demoPlant)
  await storage.lines.upsert(demoLine)
  const row = await storage.policies.append({
    lineId: demoLine.id,
    author: 'tokenline (first start)',
    reason: 'demo line: defaults from the shipped models',
    body: body as unknown as Record<string, unknown>,
  })
  log.info({ lineId: demoLine.id, version: row.version }, 'first start: demo plant, line and policy created')
  return true
}

/**
 * The demo line's first policy for an edge and a cloud model: the edge's smallest budget of at
 * least 16 tokens with the next rung from 64 as its ladder, the cloud at its largest budget,
 * minConfidence 0.8, audits 0.02, edge tokens free and cloud tokens 0.02 per 1,000.
 * `npm run frontier` replays the same policy by default.
 */
export function demoPolicyBody(
  edge: { name: string; budgets: readonly number[] },
  cloud: { name: string; budgets: readonly number[] },
): PolicyBody {
  const edgeBudgets = [...edge.budgets].sort((a, b) => a - b)
  const budget = edgeBudgets.find((n) => n >= 16) ?? edgeBudgets[0]!
  const next = edgeBudgets.find((n) => n >= 64 && n > budget)
  return {
    plantId: demoPlant.id,
    lineId: demoLine.id,
    edge: { model: edge.name, budget, ladder: next === undefined ? [] : [next] },
    cloud: { model: cloud.name, budget: Math.max(...cloud.budgets) },
    escalation: { thresholds: { minConfidence: 0.8 }, perClass: {}, alwaysEscalate: [], auditRate: 0.02 },
    cloudTokenCapPerHour: null,
    atCap: 'edge-verdict',
    deadlineMs: 10_000,
    pastDeadline: 'edge-verdict',
    question: null,
    costPer1kTokens: { edge: 0, cloud: 0.02 },
    egress: { mode: 'whole', regionMarginPatches: 1 },
  }
}

/** A stored policy row as the `tokenline.policies.v2` message the edges read. */
export function policyMessage(row: {
  lineId: string
  version: number
  author: string
  reason: string
  body: Record<string, unknown>
  rolledBackTo: number | null
  createdAt: Date
}): PolicyV2 {
  return policyPayloadV2.parse({
    ...row.body,
    lineId: row.lineId,
    version: row.version,
    author: row.author,
    reason: row.reason,
    rolledBackTo: row.rolledBackTo,
    createdAt: row.createdAt.toISOString(),
  })
}
