import type { IncomingMessage, ServerResponse } from 'node:http'
import { Counter, type Registry } from 'prom-client'
import type { Logger } from '../../../../lib/log/index.ts'
import { extensionCodes } from '../graphql/error-codes.ts'
import { bearerSecret } from './api-key.secret.ts'
import type { KeyVerifier } from './key-verifier.ts'
import type { Principal } from './principal.ts'
import type { RateLimiter } from './rate-limiter.ts'
import { logRefusal } from './refusal-log.ts'

export type Refusal = {
  code: 'GATEWAY_UNAUTHENTICATED' | 'GATEWAY_RATE_LIMITED'
  message: string
  /** Set for GATEWAY_RATE_LIMITED: whole seconds until a request is allowed again. */
  retryAfterSeconds?: number
}
export type AuthOutcome = { ok: true; principal: Principal } | ({ ok: false } & Refusal)

type FailureReason = 'missing' | 'malformed' | 'unknown' | 'revoked'
type Transport = 'http' | 'ws'

/**
 * The front door for HTTP requests and WebSocket connections: verifies the API key, then
 * charges the request to the key's token bucket. Failed attempts are logged (never the secret)
 * and counted, and charged to the remote address's bucket, so guessing keys is rate limited too.
 */
export class Authenticator {
  private readonly failures: Counter<'reason'>
  private readonly limited: Counter<'scope'>

  constructor(
    private readonly verifier: KeyVerifier,
    private readonly limiter: RateLimiter,
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.failures = new Counter({
      name: 'tokenline_gateway_auth_failures_total',
      help: 'Requests and WebSocket connections refused for their API key, by reason (missing | malformed | unknown | revoked)',
      labelNames: ['reason'],
      registers: [registry],
    })
    this.limited = new Counter({
      name: 'tokenline_gateway_rate_limited_total',
      help: 'Requests refused with RATE_LIMITED, by bucket (key | address)',
      labelNames: ['scope'],
      registers: [registry],
    })
  }

  /** `authorization` is the header value (`Bearer <secret>`); `address` the client's IP. */
  async authenticate(
    authorization: string | undefined,
    address: string | undefined,
    transport: Transport = 'http',
  ): Promise<AuthOutcome> {
    const { secret, malformed } = bearerSecret(authorization)
    if (!secret) return this.refuse(malformed ? 'malformed' : 'missing', address, transport)
    const verified = await this.verifier.verify(secret)
    if (!verified.ok) return this.refuse(verified.reason, address, transport)
    return this.charge(verified.principal, transport, address)
  }

  /** Takes one request from the key's bucket (each request, and each operation on a WebSocket). */
  charge(principal: Principal, transport: Transport = 'http', address?: string): AuthOutcome {
    const decision = this.limiter.take(`key:${principal.keyId}`)
    if (decision.ok) return { ok: true, principal }
    this.limited.inc({ scope: 'key' })
    const message = `the API key ${principal.name} is over GATEWAY_RATE_LIMIT_PER_SECOND; retry after ${decision.retryAfterSeconds} s`
    logRefusal(this.log, {
      code: extensionCodes.GATEWAY_RATE_LIMITED,
      transport,
      principal,
      remoteAddress: address,
      message,
    })
    return { ok: false, code: 'GATEWAY_RATE_LIMITED', message, retryAfterSeconds: decision.retryAfterSeconds }
  }

  /** For the /graphql route: the request's principal, or undefined after answering 401 / 429 itself. */
  async http(req: IncomingMessage, res: ServerResponse): Promise<Principal | undefined> {
    const outcome = await this.authenticate(req.headers.authorization, req.socket.remoteAddress)
    if (outcome.ok) return outcome.principal
    refuseHttp(res, outcome)
    return undefined
  }

  private refuse(reason: FailureReason, address: string | undefined, transport: Transport): AuthOutcome {
    this.failures.inc({ reason })
    const decision = this.limiter.take(`addr:${address ?? 'unknown'}`)
    const refusal: Refusal = decision.ok
      ? { code: 'GATEWAY_UNAUTHENTICATED', message: describe(reason) }
      : {
          code: 'GATEWAY_RATE_LIMITED',
          message: `too many requests without a valid API key from this address; retry after ${decision.retryAfterSeconds} s`,
          retryAfterSeconds: decision.retryAfterSeconds,
        }
    if (!decision.ok) this.limited.inc({ scope: 'address' })
    logRefusal(this.log, {
      code: extensionCodes[refusal.code],
      transport,
      reason,
      remoteAddress: address,
      message: refusal.message,
    })
    return { ok: false, ...refusal }
  }
}

function describe(reason: FailureReason): string {
  switch (reason) {
    case 'missing':
      return 'expected an API key as `authorization: Bearer <key>`; received none'
    case 'malformed':
      return 'expected `authorization: Bearer <key>` with a key of 24–200 characters A–Z a–z 0–9 _ -'
    case 'unknown':
      return 'the API key is not known'
    case 'revoked':
      return 'the API key was revoked'
    default: {
      const unreachable: never = reason
      return unreachable
    }
  }
}

/** 401 (with `www-authenticate`) or 429 (with `retry-after`), in the GraphQL error shape. */
export function refuseHttp(res: ServerResponse, refusal: Refusal): void {
  const limited = refusal.code === 'GATEWAY_RATE_LIMITED'
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (limited) headers['retry-after'] = String(refusal.retryAfterSeconds ?? 1)
  else headers['www-authenticate'] = 'Bearer realm="tokenline"'
  res.writeHead(limited ? 429 : 401, headers)
  res.end(
    JSON.stringify({
      errors: [
        { message: refusal.message, extensions: { code: extensionCodes[refusal.code], retriable: limited } },
      ],
    }),
  )
}
