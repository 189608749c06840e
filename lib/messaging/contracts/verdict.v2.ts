/**
 * tokenline.verdicts.v2: the cloud tier's answer to one escalation.
 * v2 = v1 plus what the edge and the gateway need to act on it without a join: the deadline and
 * whether the answer came after it (`late`), the escalation reason, the latency split, the cost at
 * the line's price, the budget asked for, the execution provider and the answering instance.
 * (v1 could not carry them; published versions are never edited, so this is a new topic.)
 * Key: the line id. Producer: cloud. Consumers: gateway (stores it), edge (settles provisional results).
 * Value: UTF-8 JSON of the schema below (`content-type: application/json`).
 * The cloud publishes at most one verdict per inspection id (it checks this topic before it answers
 * a case another instance may have answered); consumers still stay idempotent on `inspectionId`.
 */
import { z } from 'zod'
import { defineJsonContract } from './contract.ts'
import {
  budgetV1,
  entityIdV1,
  escalationReasonV1,
  inferenceV1,
  inspectionIdV1,
  probabilityV1,
  timestampV1,
} from './parts.v1.ts'

export const verdictsTopicV2 = 'tokenline.verdicts.v2'

/**
 * policy         the price of the policy version that escalated the case
 * latest-policy  that version was not seen; the line's latest known policy's price
 * default        no policy of the line was seen; the cloud's configured default price
 */
export const priceSourcesV2 = ['policy', 'latest-policy', 'default'] as const

export const verdictPayloadV2 = z
  .object({
    inspectionId: inspectionIdV1,
    plantId: entityIdV1,
    lineId: entityIdV1,
    policyVersion: z.number().int().positive(),
    /** Why the edge escalated (copied from the escalation); `audit` verdicts measure edge errors. */
    reason: escalationReasonV1,
    /** Copied from the escalation. */
    escalatedAt: timestampV1,
    /** Copied from the escalation; null = no deadline. */
    deadlineAt: timestampV1.nullable(),
    decidedAt: timestampV1,
    /** True when decidedAt is after deadlineAt: the case was answered anyway, not dropped. */
    late: z.boolean(),
    question: z.string().min(1).max(500).nullable(),
    /** Budget the escalation asked for; `cloud.budget` is the one that ran (the nearest the model serves). */
    requestedBudget: budgetV1,
    /** The large model's answer at the cloud budget; `cloud.model.sha256` is the model version. */
    cloud: inferenceV1,
    /** Yes/no answer to the question when the model has an answer head and a question was asked. */
    answer: z.object({ yes: z.boolean(), probability: probabilityV1 }).nullable(),
    /** Tokens the cloud spent: image tokens (= cloud.budget) and question words fed to the model. */
    tokens: z.object({ vision: z.number().int().nonnegative(), question: z.number().int().nonnegative() }),
    /** amount = tokens.vision / 1000 × per1kTokens, in the plant's currency units (the policy prices vision tokens). */
    cost: z.object({
      per1kTokens: z.number().nonnegative(),
      amount: z.number().nonnegative(),
      priceSource: z.enum(priceSourcesV2),
    }),
    /** Milliseconds. */
    latency: z.object({
      /** escalatedAt → decidedAt (edge clock to cloud clock; 0 when the clocks disagree the other way). */
      totalMs: z.number().nonnegative(),
      /** Record received by the cloud → decidedAt. */
      cloudMs: z.number().nonnegative(),
      /** Waiting for a batch and a free worker (handed to the model → its batch started). */
      queueMs: z.number().nonnegative(),
      /** Wall time of the batched model run this case was part of. */
      inferenceMs: z.number().nonnegative(),
    }),
    /** Size of the micro-batch this image was inferred in. */
    batchSize: z.number().int().positive(),
    /** onnxruntime execution provider that ran the model, e.g. `cuda` or `cpu`. */
    executionProvider: z.string().min(1),
    /** The cloud instance that answered (CLOUD_INSTANCE_ID). */
    instance: z.string().min(1),
  })
  .refine((v) => v.late === (v.deadlineAt !== null && Date.parse(v.decidedAt) > Date.parse(v.deadlineAt)), {
    error: 'expected late to be true exactly when decidedAt is after deadlineAt',
    path: ['late'],
  })

export type VerdictV2 = z.output<typeof verdictPayloadV2>

export const verdictV2 = defineJsonContract({
  topic: verdictsTopicV2,
  schema: 'tokenline.verdict',
  version: 2,
  payload: verdictPayloadV2,
})
