/**
 * tokenline.policies.v2 (compacted): the current cost/accuracy policy of one line.
 * v2 = v1 plus `egress`: what image data may leave the site when a case goes to the cloud.
 * (v1 could not say it; published versions are never edited, so this is a new topic.)
 * Key: the line id, so compaction keeps the latest version per line and a restarting edge
 * reads every line's current policy from the start of the topic.
 * Producer: gateway (on every new version or rollback). Consumers: edges, each in its own group
 * with `replayFromStart` so it reads every partition whole at every start.
 * Value: UTF-8 JSON of the schema below (`content-type: application/json`).
 * A consumer applies a record only when its `version` is higher than the one it holds.
 */
import { z } from 'zod'
import { defineJsonContract } from './contract.ts'
import { policyPayloadV1 } from './policy.v1.ts'

export const policiesTopicV2 = 'tokenline.policies.v2'

/**
 * whole   the whole field of view, resized for the cloud budget
 * region  only a square around the patches the edge model scored as most defective, resized for
 *         the cloud budget (`regionMarginPatches` edge patches of context on every side)
 * none    nothing leaves the site: a case that would go to the cloud is held for on-site review
 */
export const egressModesV2 = ['whole', 'region', 'none'] as const

export const egressV2 = z.object({
  mode: z.enum(egressModesV2),
  /** Context around the suspected region, in edge patches at the budget that decided. Default 1. */
  regionMarginPatches: z.number().int().nonnegative().max(64).default(1),
})

/** Every v1 field (read from the published v1 schema, never copied) plus `egress`. */
export const policyPayloadV2 = z
  .object({
    ...policyPayloadV1.shape,
    egress: egressV2,
  })
  .refine((p) => p.edge.ladder.every((n, i, all) => n > (i === 0 ? p.edge.budget : all[i - 1]!)), {
    error: 'expected ladder budgets strictly ascending and above edge.budget',
    path: ['edge', 'ladder'],
  })

export type PolicyV2 = z.output<typeof policyPayloadV2>
export type PolicyInputV2 = z.input<typeof policyPayloadV2>

export const policyV2 = defineJsonContract({
  topic: policiesTopicV2,
  schema: 'tokenline.policy',
  version: 2,
  payload: policyPayloadV2,
})
