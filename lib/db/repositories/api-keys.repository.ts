import { and, asc, count, eq, isNull, sql } from 'drizzle-orm'
import type { Database } from '../database.ts'
import { DbError } from '../errors.ts'
import { sqlState } from '../internal/sql-state.ts'
import { type ApiKeyRole, apiKeys } from '../schema.ts'

export type ApiKeyRow = typeof apiKeys.$inferSelect

export type ApiKeyWrite = {
  id: string
  name: string
  role: ApiKeyRole
  allPlants: boolean
  plantIds: string[]
  /** First characters of the secret, shown to tell keys apart. */
  prefix: string
  /** hex sha256 of the whole secret; the secret itself is never stored. */
  secretHash: string
  createdBy: string
}

/** API keys, stored by the hash of their secret; rows are revoked, never deleted. */
export class ApiKeysRepository {
  constructor(private readonly db: Database) {}

  /** Stores a new key; DB_INPUT_INVALID when its id or secret hash is already taken. */
  async create(key: ApiKeyWrite): Promise<ApiKeyRow> {
    try {
      const [row] = await this.db.insert(apiKeys).values(key).returning()
      return row!
    } catch (err) {
      if (sqlState(err) === '23505') {
        throw new DbError(
          'DB_INPUT_INVALID',
          `an API key with id ${key.id} or the same secret exists`,
          false,
          {
            cause: err,
          },
        )
      }
      throw err
    }
  }

  /**
   * Stores `key` only when no active key exists, deciding under a transaction-scoped advisory
   * lock, so gateways starting at once on one database create one first-start key between them.
   * `beforeCreate` runs under the lock just before the insert (the caller writes the secret's
   * file there); undefined when a key already existed and nothing was done.
   */
  async createFirst(
    key: ApiKeyWrite,
    beforeCreate: () => void | Promise<void>,
  ): Promise<ApiKeyRow | undefined> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('tokenline.first-api-key', 0))`)
      const [active] = await tx.select({ n: count() }).from(apiKeys).where(isNull(apiKeys.revokedAt))
      if (Number(active?.n ?? 0) > 0) return undefined
      await beforeCreate()
      const [row] = await tx.insert(apiKeys).values(key).returning()
      return row!
    })
  }

  async get(id: string): Promise<ApiKeyRow | undefined> {
    const [row] = await this.db.select().from(apiKeys).where(eq(apiKeys.id, id))
    return row
  }

  /** The key whose secret hashes to `secretHash`, revoked or not. */
  async findByHash(secretHash: string): Promise<ApiKeyRow | undefined> {
    const [row] = await this.db.select().from(apiKeys).where(eq(apiKeys.secretHash, secretHash))
    return row
  }

  /** Every key, oldest first (revoked ones too). */
  list(): Promise<ApiKeyRow[]> {
    return this.db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))
  }

  /** Keys not revoked. */
  async countActive(): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(apiKeys).where(isNull(apiKeys.revokedAt))
    return Number(row?.n ?? 0)
  }

  /** Sets revokedAt (once: a second revoke keeps the first time); undefined when no such key. */
  async revoke(id: string, at: Date = new Date()): Promise<ApiKeyRow | undefined> {
    const [row] = await this.db
      .update(apiKeys)
      .set({ revokedAt: at })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning()
    return row ?? this.get(id)
  }

  /** Records a use of the key (callers throttle this to about once a minute per key). */
  async touch(id: string, at: Date): Promise<void> {
    await this.db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id))
  }
}
