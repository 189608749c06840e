import { TokenlineError } from '../errors/index.ts'

export const visionErrorCodes = [
  'VISION_IMAGE_INVALID',
  'VISION_IMAGE_TOO_LARGE',
  'VISION_IMAGE_UNSUPPORTED',
  'VISION_BUDGET_UNSUPPORTED',
  'VISION_SPEC_INVALID',
  'VISION_DATASET_INVALID',
] as const
export type VisionErrorCode = (typeof visionErrorCodes)[number]

/** Every failure raised by `lib/vision`; never retriable (the same bytes fail the same way). */
export class VisionError extends TokenlineError<VisionErrorCode> {
  constructor(code: VisionErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, false, options)
    this.name = 'VisionError'
  }
}
