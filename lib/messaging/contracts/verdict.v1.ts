/**
 * tokenline.verdicts.v1: the cloud tier's answer to one escalation.
 * Key: the line id. Producer: cloud. Consumers: gateway (stores it), edge (settles provisional results).
 * Value: UTF-8 JSON of the schema below (`content-type: application/json`).
 * Redelivery may repeat a verdict; every consumer is idempotent on `inspectionId`.
 */
import { z } from 'zod'
import { defineJsonContract } from './contract.ts'
import { entityIdV1, inferenceV1, inspectionIdV1, probabilityV1, timestampV1 } from './parts.v1.ts'

export const verdictsTopicV1 = 'tokenline.verdicts.v1'

export const verdictPayloadV1 = z.object({
  inspectionId: inspectionIdV1,
  plantId: entityIdV1,
  lineId: entityIdV1,
  policyVersion: z.number().int().positive(),
  /** Copied from the escalation, so latency can be computed without a join. */
  escalatedAt: timestampV1,
  decidedAt: timestampV1,
  question: z.string().min(1).max(500).nullable(),
  /** The large model's answer at the cloud budget. */
  cloud: inferenceV1,
  /** Yes/no answer to the question when the model has an answer head and a question was asked. */
  answer: z.object({ yes: z.boolean(), probability: probabilityV1 }).nullable(),
  /** Tokens the cloud spent: image tokens (= budget) plus question tokens. */
  tokens: z.object({ vision: z.number().int().nonnegative(), question: z.number().int().nonnegative() }),
  /** Size of the micro-batch this image was inferred in. */
  batchSize: z.number().int().positive(),
})

export type VerdictV1 = z.output<typeof verdictPayloadV1>

export const verdictV1 = defineJsonContract({
  topic: verdictsTopicV1,
  schema: 'tokenline.verdict',
  version: 1,
  payload: verdictPayloadV1,
})
