import {
  createScratchDatabase,
  type ScratchDatabase,
} from '../../../../scripts/internal/system/scratch-database.ts'

/** Server used by integration tests; `TOKENLINE_TEST_DATABASE_URL` overrides (trust auth, superuser). */
export const adminUrl = process.env.TOKENLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** A run older than this left its database behind (crashed); the next run drops it. */
const staleAfterMs = 6 * 3600_000

/** A fresh database per test file on the test server, so parallel runs and reruns never see each other's rows. */
export function createTestDatabase(): Promise<ScratchDatabase> {
  return createScratchDatabase(adminUrl, 'tokenline_t_', { dropStaleAfterMs: staleAfterMs })
}
