/**
 * tokenline.escalations.v1: a case the edge is unsure about, sent to the cloud tier.
 * Key: the line id (keeps one line's cases in order). Producer: edge outbox relay.
 * Consumer: cloud (group `tokenline-cloud`).
 *
 * Value: a tokenline frame (see `frame.ts`):
 *   header  JSON of every field below except `image.bytes`
 *   body    the image already resized for the cloud budget, as described by `image`:
 *           encoding `raw`: width × height × channels unsigned bytes, row-major, channels
 *           interleaved (HWC), in the model's colour space (`b-w` = 1 channel, `srgb` = 3);
 *           encoding `png` / `jpeg`: the encoded file.
 */
import { z } from 'zod'
import { defineFramedContract } from './contract.ts'
import {
  budgetV1,
  entityIdV1,
  escalationReasonV1,
  inferenceV1,
  inspectionIdV1,
  modelRefV1,
  timestampV1,
} from './parts.v1.ts'

export const escalationsTopicV1 = 'tokenline.escalations.v1'

const imageMetaV1 = z.object({
  encoding: z.enum(['raw', 'png', 'jpeg']),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  channels: z.union([z.literal(1), z.literal(3)]),
  colorSpace: z.enum(['b-w', 'srgb']),
})

export const escalationHeaderV1 = z.object({
  inspectionId: inspectionIdV1,
  plantId: entityIdV1,
  lineId: entityIdV1,
  /** When the camera took the image. */
  capturedAt: timestampV1,
  /** When the edge decided to escalate. */
  escalatedAt: timestampV1,
  /** The cloud answer is useless after this instant (the policy's deadline); null = no deadline. */
  deadlineAt: timestampV1.nullable(),
  /** Version of the line's policy that made the decision. */
  policyVersion: z.number().int().positive(),
  reason: escalationReasonV1,
  /** The operator's question to fuse into the cloud model, or null for vision only. */
  question: z.string().min(1).max(500).nullable(),
  /** The edge's answer (possibly the last rung of the token ladder). */
  edge: inferenceV1,
  /** Every budget the edge tried, in order (the token ladder). */
  ladder: z.array(budgetV1).min(1),
  /** What the cloud should run: model and budget from the policy. */
  cloud: z.object({ model: modelRefV1.shape.name, budget: budgetV1 }),
  image: imageMetaV1,
})

export type EscalationImageV1 = z.output<typeof imageMetaV1> & { bytes: Uint8Array }
export type EscalationV1 = Omit<z.output<typeof escalationHeaderV1>, 'image'> & { image: EscalationImageV1 }

export const escalationV1 = defineFramedContract({
  topic: escalationsTopicV1,
  schema: 'tokenline.escalation',
  version: 1,
  header: escalationHeaderV1,
  split: ({ image, ...rest }: EscalationV1) => {
    const { bytes, ...meta } = image
    return { header: { ...rest, image: meta }, body: bytes }
  },
  join: ({ image, ...rest }, body): EscalationV1 => ({ ...rest, image: { ...image, bytes: body } }),
  checkBody: (header, body) => {
    const { encoding, width, height, channels, colorSpace } = header.image
    if ((colorSpace === 'b-w') !== (channels === 1)) {
      return `image.channels: expected ${colorSpace === 'b-w' ? 1 : 3} for colour space ${colorSpace} but received ${channels}`
    }
    if (body.length === 0) return 'image.bytes: expected image bytes but received 0 bytes'
    if (encoding === 'raw' && body.length !== width * height * channels) {
      return `image.bytes: expected ${width}×${height}×${channels} = ${width * height * channels} raw bytes but received ${body.length}`
    }
    return undefined
  },
})
