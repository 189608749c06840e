import { GatewayError } from '../../errors.ts'

/** The `first` argument of a paged field: 1 … `max`, else GATEWAY_ARGUMENT_INVALID / GATEWAY_PAGE_TOO_LARGE. */
export function checkFirst(first: number, max: number): void {
  if (first < 1) {
    throw new GatewayError(
      'GATEWAY_ARGUMENT_INVALID',
      `expected a positive integer for first; received ${first}`,
    )
  }
  if (first > max) {
    throw new GatewayError(
      'GATEWAY_PAGE_TOO_LARGE',
      `expected at most ${max} for first; received ${first}: page through with after`,
    )
  }
}
