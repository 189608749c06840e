/**
 * Typed errors shared by every area. Each area declares its own `errorCodes` tuple in an
 * `errors.ts` next to its code and throws `TokenlineError` with one of those codes.
 * Callers branch on `code` and `retriable`, never on message text.
 */
export class TokenlineError<C extends string = string> extends Error {
  /**
   * @param code stable machine-readable code, e.g. `EDGE_IMAGE_INVALID`
   * @param message human text naming the parameter, what was expected and what came
   * @param retriable true when the same call may succeed later (broker down, DB busy)
   */
  constructor(
    readonly code: C,
    message: string,
    readonly retriable = false,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'TokenlineError'
  }
}

export function isTokenlineError(err: unknown): err is TokenlineError {
  return err instanceof TokenlineError
}

/** Describes a received value for error messages: `-3 of type number`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (typeof value === 'string')
    return `${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)} of type string`
  if (Buffer.isBuffer(value)) return `a buffer of ${value.length} bytes`
  return `${String(value)} of type ${typeof value}`
}
