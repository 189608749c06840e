import { TokenlineError } from '../errors/index.ts'

export const configErrorCodes = ['CONFIG_INVALID'] as const
export type ConfigErrorCode = (typeof configErrorCodes)[number]

/** Thrown by `parseEnv` with every problem found, one per line in `problems`. */
export class ConfigError extends TokenlineError<ConfigErrorCode> {
  constructor(readonly problems: string[]) {
    super('CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`)
  }
}
