/**
 * tokenline.dlq.v1: records a consumer could not process and will not retry (invalid message,
 * non-retriable handler error, retries exhausted), with the reason and the original bytes.
 * Key: the original record's key (bytes unchanged). Producer: the consumer wrapper in
 * `lib/messaging/consumer.ts`. Consumers: operators (kcat, replay tools).
 *
 * Value: a tokenline frame (see `frame.ts`):
 *   header  JSON of every field below except `value`
 *   body    the original record value, byte for byte (empty when it was null: see `original.valueNull`)
 */
import { z } from 'zod'
import { defineFramedContract } from './contract.ts'
import { timestampV1 } from './parts.v1.ts'

export const dlqTopicV1 = 'tokenline.dlq.v1'

export const dlqHeaderV1 = z.object({
  original: z.object({
    topic: z.string().min(1),
    partition: z.number().int().nonnegative(),
    /** Kafka offset as a decimal string (int64). */
    offset: z.string().regex(/^\d+$/, { error: 'expected a decimal offset' }),
    /** The key as UTF-8 text, or null; the DLQ record's own key holds the exact bytes. */
    key: z.string().nullable(),
    /** Record timestamp, milliseconds since the epoch as a decimal string. */
    timestamp: z.string().regex(/^-?\d+$/, { error: 'expected milliseconds as a decimal string' }),
    headers: z.record(z.string(), z.string()),
    valueNull: z.boolean(),
  }),
  consumerGroup: z.string().min(1),
  error: z.object({
    /** e.g. MESSAGING_MESSAGE_INVALID, or the handler's TokenlineError code. */
    code: z.string().min(1),
    message: z.string(),
    retriable: z.boolean(),
    /** Handler attempts made before giving up (0 when the message did not decode). */
    attempts: z.number().int().nonnegative(),
  }),
  deadLetteredAt: timestampV1,
})

export type DlqV1 = z.output<typeof dlqHeaderV1> & { value: Uint8Array }

export const dlqV1 = defineFramedContract({
  topic: dlqTopicV1,
  schema: 'tokenline.dead-letter',
  version: 1,
  header: dlqHeaderV1,
  split: ({ value, ...header }: DlqV1) => ({ header, body: value }),
  join: (header, body): DlqV1 => ({ ...header, value: body }),
  checkBody: (header, body) =>
    header.original.valueNull && body.length > 0
      ? `value: expected no bytes when original.valueNull is true but received ${body.length}`
      : undefined,
})
