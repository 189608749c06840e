/**
 * tokenline.results.v1: the edge's decision for every inspection, escalated or not.
 * Key: the line id. Producer: edge outbox relay. Consumer: gateway (stores it).
 * Value: UTF-8 JSON of the schema below (`content-type: application/json`).
 * Redelivery may repeat a result; the gateway is idempotent on `inspectionId`.
 */
import { z } from 'zod'
import { defineJsonContract } from './contract.ts'
import {
  budgetV1,
  entityIdV1,
  escalationReasonV1,
  inferenceV1,
  inspectionIdV1,
  timestampV1,
} from './parts.v1.ts'

export const resultsTopicV1 = 'tokenline.results.v1'

/**
 * accepted   the edge verdict is final
 * escalated  sent to the cloud; the edge verdict is provisional until a verdict arrives
 * held       the policy said hold (cloud cap reached or link down with `hold` fallback): a human decides
 */
export const dispositionsV1 = ['accepted', 'escalated', 'held'] as const

export const resultPayloadV1 = z
  .object({
    inspectionId: inspectionIdV1,
    plantId: entityIdV1,
    lineId: entityIdV1,
    capturedAt: timestampV1,
    decidedAt: timestampV1,
    policyVersion: z.number().int().positive(),
    question: z.string().min(1).max(500).nullable(),
    /** The edge's answer at the last budget it tried. */
    edge: inferenceV1,
    /** Every budget the edge tried, in order (the token ladder); tokens spent = their sum. */
    ladder: z.array(budgetV1).min(1),
    disposition: z.enum(dispositionsV1),
    /** Set when the rule asked for the cloud (escalated, or held instead of escalated). */
    escalationReason: escalationReasonV1.nullable(),
    /** Ingest to decision at the edge (ms), decode and inference included. */
    latencyMs: z.number().nonnegative(),
  })
  .refine((r) => r.disposition !== 'escalated' || r.escalationReason !== null, {
    error: 'expected an escalationReason when disposition is escalated',
    path: ['escalationReason'],
  })

export type ResultV1 = z.output<typeof resultPayloadV1>

export const resultV1 = defineJsonContract({
  topic: resultsTopicV1,
  schema: 'tokenline.result',
  version: 1,
  payload: resultPayloadV1,
})
