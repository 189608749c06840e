import { GatewayError } from '../../errors.ts'

/**
 * One request's time limit (GATEWAY_REQUEST_TIMEOUT_MS). The HTTP route answers REQUEST_TIMEOUT
 * when it passes; from then on every resolver that starts throws instead of working (checked by
 * the limits plugin before each field), so an abandoned request stops at its next field.
 */
export class Deadline {
  private readonly at: number
  private cut = false

  constructor(readonly timeoutMs: number) {
    this.at = performance.now() + timeoutMs
  }

  get expired(): boolean {
    return this.cut || performance.now() >= this.at
  }

  /** Ends the request now (the route already answered it). */
  expire(): void {
    this.cut = true
  }

  /** Throws GATEWAY_REQUEST_TIMEOUT once the deadline has passed. */
  check(): void {
    if (this.expired) throw timeoutError(this.timeoutMs)
  }
}

export function timeoutError(timeoutMs: number): GatewayError {
  return new GatewayError(
    'GATEWAY_REQUEST_TIMEOUT',
    `the request ran past ${timeoutMs} ms (GATEWAY_REQUEST_TIMEOUT_MS) and was stopped; ask for less (a smaller page, fewer fields)`,
  )
}
