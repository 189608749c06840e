import { z } from 'zod'
import { ConfigError } from './errors.ts'

export { ConfigError } from './errors.ts'

/** The environment as a plain record; `process.env` is read only in `main.ts` files. */
export type Env = Record<string, string | undefined>

/**
 * Validates `env` against a zod object whose keys are variable names.
 * Every problem is reported at once, each naming the variable, the bad value and what is expected.
 * Empty strings count as unset so `FOO= npm start` falls back to the default.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Env): z.output<S> {
  const cleaned: Record<string, string> = {}
  for (const key of Object.keys(schema.shape)) {
    const value = env[key]
    if (value !== undefined && value !== '') cleaned[key] = value
  }
  const result = schema.safeParse(cleaned)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)'
    const got = cleaned[String(issue.path[0])]
    return `${name}: ${issue.message}; received ${got === undefined ? 'nothing' : JSON.stringify(got)}`
  })
  throw new ConfigError(problems)
}

/** A TCP port variable: integer 0–65535 (0 = any free port). */
export function portVar(defaultPort: number) {
  return z.coerce
    .number({ error: 'expected an integer port 0–65535' })
    .int({ error: 'expected an integer port 0–65535' })
    .min(0, { error: 'expected an integer port 0–65535' })
    .max(65535, { error: 'expected an integer port 0–65535' })
    .default(defaultPort)
}

/** A true/false switch: `true`, `false`, `1` or `0`. */
export function booleanVar(defaultValue: boolean) {
  return z
    .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
    .default(defaultValue ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1')
}

/** A whole number ≥ 0 with a default, e.g. a limit where 0 turns a check off. */
export function nonNegativeIntVar(defaultValue: number, what = 'a whole number >= 0') {
  return z.coerce
    .number({ error: `expected ${what}` })
    .int({ error: `expected ${what}` })
    .min(0, { error: `expected ${what}` })
    .default(defaultValue)
}

/** A positive integer knob with a default, e.g. a batch size. */
export function positiveIntVar(defaultValue: number, what = 'a positive integer') {
  return z.coerce
    .number({ error: `expected ${what}` })
    .int({ error: `expected ${what}` })
    .positive({ error: `expected ${what}` })
    .default(defaultValue)
}

export const logLevelVar = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    error: 'expected one of fatal, error, warn, info, debug, trace, silent',
  })
  .default('info')

/** `host:port[,host:port…]`; absent means "use the embedded broker". */
export const kafkaBrokersVar = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string().regex(/^[^:\s]+:\d{1,5}$/, { error: 'expected host:port[,host:port…]' }))
      .min(1, { error: 'expected host:port[,host:port…]' }),
  )
  .optional()

/** `postgres://…` or `postgresql://…`; absent means embedded PGlite under TOKENLINE_DATA_DIR. */
export const databaseUrlVar = z
  .string()
  .regex(/^postgres(ql)?:\/\//, { error: 'expected a postgres:// or postgresql:// URL' })
  .optional()

/** Variables every service reads. */
export const commonEnvShape = {
  LOG_LEVEL: logLevelVar,
  TOKENLINE_DATA_DIR: z.string().default('./data'),
  /** Interface services bind to; 127.0.0.1 until access control exists. */
  TOKENLINE_BIND_HOST: z.string().default('127.0.0.1'),
}
