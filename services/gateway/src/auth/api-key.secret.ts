import { createHash, randomBytes } from 'node:crypto'

/**
 * API key secrets: `tl_` + 40 base64url characters (30 random bytes, 240 bits). Only the hex
 * sha256 of the whole secret is stored; a plain hash is enough because the secret is random and
 * long (no dictionary to try), and it keeps verification one indexed lookup.
 */
export function newSecret(): string {
  return `tl_${randomBytes(30).toString('base64url')}`
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

/** First characters of a secret, stored and shown to tell keys apart (10 of 43: 7 random). */
export function secretPrefix(secret: string): string {
  return secret.slice(0, 10)
}

/** What a presented secret may look like: ours (`tl_…`) and GATEWAY_ADMIN_KEY's 24–200 of A–Z a–z 0–9 _ -. */
const secretShape = /^[A-Za-z0-9_-]{24,200}$/

/** The secret of an `authorization: Bearer <secret>` value; undefined when absent or malformed. */
export function bearerSecret(header: string | undefined): { secret?: string; malformed: boolean } {
  if (header === undefined || header.trim() === '') return { malformed: false }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim())
  if (!match || !secretShape.test(match[1]!)) return { malformed: true }
  return { secret: match[1]!, malformed: false }
}
