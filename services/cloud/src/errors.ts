import { TokenlineError } from '../../../lib/errors/index.ts'

export const cloudErrorCodes = [
  /** The escalation names a cloud model this instance does not serve (CLOUD_MODELS). Dead-lettered. */
  'CLOUD_MODEL_UNKNOWN',
  /** A configured model cannot serve the cloud tier (no such folder, wrong role). Stops the start. */
  'CLOUD_MODEL_INVALID',
  /** The escalation's image cannot be decoded or converted to the model's token grid. Dead-lettered. */
  'CLOUD_IMAGE_INVALID',
  /** The verdict log could not be read up to its end in time; retried (the case waits, in order). */
  'CLOUD_LEDGER_BEHIND',
] as const
export type CloudErrorCode = (typeof cloudErrorCodes)[number]

const retriableCodes: ReadonlySet<CloudErrorCode> = new Set(['CLOUD_LEDGER_BEHIND'])

/** A TokenlineError whose `retriable` flag follows from its code. */
export class CloudError extends TokenlineError<CloudErrorCode> {
  constructor(code: CloudErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, retriableCodes.has(code), options)
    this.name = 'CloudError'
  }
}
