import { TokenlineError } from '../errors/index.ts'

export const messagingErrorCodes = [
  /** A message failed its contract (bad frame, wrong schema header, invalid fields). Never retried: dead-letter it. */
  'MESSAGING_MESSAGE_INVALID',
  /** The broker did not answer within the connection retries. Retriable: it may come up later. */
  'MESSAGING_BROKER_UNREACHABLE',
  /** A publish was not acknowledged by the broker after the producer's retries. */
  'MESSAGING_PUBLISH_FAILED',
  /** Joining a consumer group on a topic failed after connecting (e.g. the topic does not exist). */
  'MESSAGING_SUBSCRIBE_FAILED',
  /** Creating or checking the platform's topics failed. */
  'MESSAGING_TOPIC_SETUP_FAILED',
  /** Options passed to the adapter are impossible (empty broker list, unknown topic). */
  'MESSAGING_OPTIONS_INVALID',
] as const
export type MessagingErrorCode = (typeof messagingErrorCodes)[number]

export class MessagingError extends TokenlineError<MessagingErrorCode> {
  constructor(code: MessagingErrorCode, message: string, retriable = false, options?: ErrorOptions) {
    super(code, message, retriable, options)
    this.name = 'MessagingError'
  }
}

/** True for errors that say "try again later": ours, kafkajs' and anything else carrying `retriable: true`. */
export function isRetriable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true
}

/** The code to record for an error: `TokenlineError.code`, kafkajs' `type`, or `UNKNOWN`. */
export function errorCodeOf(err: unknown): string {
  if (err instanceof TokenlineError) return err.code
  if (typeof err === 'object' && err !== null) {
    const { code, type, name } = err as { code?: unknown; type?: unknown; name?: unknown }
    if (typeof code === 'string') return code
    if (typeof type === 'string') return type
    if (typeof name === 'string' && name !== 'Error') return name
  }
  return 'UNKNOWN'
}
