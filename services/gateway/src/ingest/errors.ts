import { TokenlineError } from '../../../../lib/errors/index.ts'

export const ingestErrorCodes = [
  /**
   * A record that passed its contract but cannot be stored as it is (its line belongs to another
   * plant, an image sharp cannot decode). Not retriable: it goes to the dead-letter topic.
   */
  'INGEST_RECORD_REJECTED',
  /** The database did not take the write (down, restarting, out of connections). Retriable: the partition waits. */
  'INGEST_STORAGE_UNAVAILABLE',
] as const
export type IngestErrorCode = (typeof ingestErrorCodes)[number]

export class IngestError extends TokenlineError<IngestErrorCode> {
  constructor(code: IngestErrorCode, message: string, retriable: boolean, options?: ErrorOptions) {
    super(code, message, retriable, options)
    this.name = 'IngestError'
  }
}
