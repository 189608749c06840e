import { TokenlineError } from '../../lib/errors/index.ts'

export const dlqErrorCodes = [
  /** A `<partition>:<offset>` the dead-letter topic does not hold (never written, or past retention). */
  'DLQ_OFFSET_UNKNOWN',
  /** The dead-letter topic does not exist on the brokers named (wrong KAFKA_BROKERS, or a fresh cluster). */
  'DLQ_TOPIC_MISSING',
  /** A redrive that would do harm (policies topic, unknown topic, tombstone, not an envelope): nothing sent. */
  'DLQ_REDRIVE_REFUSED',
  /** Reading stopped making progress before the high-water mark. Retriable: the broker may be busy. */
  'DLQ_READ_STALLED',
] as const
export type DlqErrorCode = (typeof dlqErrorCodes)[number]

export class DlqError extends TokenlineError<DlqErrorCode> {
  constructor(code: DlqErrorCode, message: string, retriable = false, options?: ErrorOptions) {
    super(code, message, retriable, options)
    this.name = 'DlqError'
  }
}
