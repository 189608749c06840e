import { TokenlineError } from '../../../lib/errors/index.ts'

export const errorCodes = ['BROKER_DATA_DIR_UNUSABLE', 'BROKER_LISTEN_FAILED', 'BROKER_CLOSED'] as const
export type BrokerErrorCode = (typeof errorCodes)[number]

/** Errors the broker process itself raises (protocol errors travel as Kafka error codes instead). */
export class BrokerError extends TokenlineError<BrokerErrorCode> {}
