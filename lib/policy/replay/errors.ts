import { TokenlineError } from '../../errors/index.ts'

export const replayErrorCodes = [
  /** A knob the replay data cannot answer: a budget without records, an unknown model, a bad target. */
  'REPLAY_INPUT_INVALID',
  /** Two record files that do not describe the same images, or records that fail their schema. */
  'REPLAY_RECORDS_INVALID',
  /** More candidates, or more computation time, than a request may use. */
  'REPLAY_TOO_LARGE',
] as const
export type ReplayErrorCode = (typeof replayErrorCodes)[number]

export class ReplayError extends TokenlineError<ReplayErrorCode> {
  constructor(code: ReplayErrorCode, message: string, retriable = false, options?: ErrorOptions) {
    super(code, message, retriable, options)
    this.name = 'ReplayError'
  }
}
