import { randomUUID } from 'node:crypto'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Storage } from '../../../../lib/db/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import { hashSecret, newSecret, secretPrefix } from './api-key.secret.ts'

/** The first-start admin key's file under the data dir (mode 0600). */
export const adminKeyFileName = 'gateway-admin.key'

export type CreatedAdminKey = { secret: string; file: string }

/**
 * Makes sure someone can get in:
 * - GATEWAY_ADMIN_KEY set: an all-plants admin key with that secret exists (created if missing;
 *   one that was revoked through the API stays revoked, with a warning: revoking is deliberate).
 * - otherwise, no active key at all: creates an all-plants admin key, logs it once and writes it
 *   to `<dataDir>/gateway-admin.key` (0600) — for PostgreSQL deployments too. Returned (tests,
 *   `npm start`); undefined when nothing was created.
 */
export async function ensureAdminKey(
  storage: Storage,
  config: { adminKey: string | undefined; dataDir: string },
  log: Logger,
): Promise<CreatedAdminKey | undefined> {
  if (config.adminKey) {
    const existing = await storage.apiKeys.findByHash(hashSecret(config.adminKey))
    if (existing?.revokedAt) {
      log.warn(
        { keyId: existing.id },
        'the key in GATEWAY_ADMIN_KEY was revoked through the API; it stays refused',
      )
    } else if (!existing) {
      const row = await storage.apiKeys.create(adminKey(config.adminKey, 'admin (GATEWAY_ADMIN_KEY)'))
      log.info({ keyId: row.id, prefix: row.prefix }, 'admin key from GATEWAY_ADMIN_KEY stored')
    }
    return undefined
  }
  if ((await storage.apiKeys.countActive()) > 0) return undefined
  const secret = newSecret()
  const file = resolve(join(config.dataDir, adminKeyFileName))
  // Decided under a lock: two gateways starting at once on one PostgreSQL make one key, and only
  // the one that makes it writes the file (a shared data dir keeps the key that exists).
  const row = await storage.apiKeys.createFirst(adminKey(secret, 'admin (first start)'), () => {
    mkdirSync(config.dataDir, { recursive: true })
    // Written before the key exists: a key nobody can read would lock everyone out.
    writeFileSync(file, `${secret}\n`, { mode: 0o600 })
    chmodSync(file, 0o600) // mode applies only when the file is created; an old file keeps its own
  })
  if (!row) return undefined
  log.warn(
    { keyId: row.id, file },
    `first start: created an all-plants admin API key; send it as "authorization: Bearer ${secret}" (also in ${file}); it is not shown again`,
  )
  return { secret, file }
}

function adminKey(secret: string, name: string) {
  return {
    id: randomUUID(),
    name,
    role: 'admin' as const,
    allPlants: true,
    plantIds: [],
    prefix: secretPrefix(secret),
    secretHash: hashSecret(secret),
    createdBy: 'tokenline (gateway start)',
  }
}
