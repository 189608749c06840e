import type { ApiKeyRow, Storage } from '../../../../lib/db/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import { hashSecret } from './api-key.secret.ts'
import type { Principal } from './principal.ts'

export type VerifyFailure = 'unknown' | 'revoked'
export type Verification = { ok: true; principal: Principal } | { ok: false; reason: VerifyFailure }

export type KeyVerifierOptions = {
  /** How long a verified key is trusted without asking the database (ms); default 1000. */
  cacheMs?: number
  /** `lastUsedAt` is written at most this often per key (ms); default 60000. */
  touchEveryMs?: number
  /** Wall clock (ms since the epoch). */
  now?: () => number
}

/** Cached verified keys before the cache is emptied (bounds memory; a refill costs one query per key). */
const MAX_CACHED = 10_000

/**
 * Secret → Principal. Verified keys are cached for `cacheMs` (1 s): a key revoked through this
 * gateway is evicted at once (`evict`), one revoked through another gateway instance sharing
 * the database is refused within `cacheMs`. Unknown secrets are not cached (the caller rate
 * limits their source).
 */
export class KeyVerifier {
  private readonly cache = new Map<string, { principal: Principal; until: number }>()
  private readonly lastTouch = new Map<string, number>()
  private readonly cacheMs: number
  private readonly touchEveryMs: number
  private readonly now: () => number

  constructor(
    private readonly storage: Storage,
    private readonly log: Logger,
    options: KeyVerifierOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 1000
    this.touchEveryMs = options.touchEveryMs ?? 60_000
    this.now = options.now ?? Date.now
  }

  async verify(secret: string): Promise<Verification> {
    const hash = hashSecret(secret)
    const now = this.now()
    const cached = this.cache.get(hash)
    if (cached && cached.until > now) {
      this.touch(cached.principal.keyId, now)
      return { ok: true, principal: cached.principal }
    }
    const row = await this.storage.apiKeys.findByHash(hash)
    if (!row) {
      this.cache.delete(hash)
      return { ok: false, reason: 'unknown' }
    }
    if (row.revokedAt) {
      this.cache.delete(hash)
      return { ok: false, reason: 'revoked' }
    }
    const principal = principalOf(row)
    if (this.cache.size >= MAX_CACHED) this.cache.clear()
    this.cache.set(hash, { principal, until: now + this.cacheMs })
    if (!this.lastTouch.has(row.id) && row.lastUsedAt) this.lastTouch.set(row.id, row.lastUsedAt.getTime())
    this.touch(row.id, now)
    return { ok: true, principal }
  }

  /** Whether the key is still valid now, asking the database (revocation sweeps of open sockets). */
  async stillValid(keyId: string): Promise<boolean> {
    const row = await this.storage.apiKeys.get(keyId)
    return row !== undefined && row.revokedAt === null
  }

  /** Forgets a key at once (it was revoked through this gateway). */
  evict(keyId: string): void {
    for (const [hash, entry] of this.cache) if (entry.principal.keyId === keyId) this.cache.delete(hash)
  }

  private touch(keyId: string, now: number): void {
    const last = this.lastTouch.get(keyId)
    if (last !== undefined && now - last < this.touchEveryMs) return
    this.lastTouch.set(keyId, now)
    if (this.lastTouch.size > MAX_CACHED) this.lastTouch.clear()
    this.storage.apiKeys.touch(keyId, new Date(now)).catch((err: unknown) => {
      this.log.warn({ keyId, err: (err as Error).message }, 'could not record the API key use (lastUsedAt)')
    })
  }
}

export function principalOf(row: ApiKeyRow): Principal {
  return {
    keyId: row.id,
    name: row.name,
    role: row.role,
    allPlants: row.allPlants,
    plantIds: new Set(row.allPlants ? [] : row.plantIds),
  }
}
