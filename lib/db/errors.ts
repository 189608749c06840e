import { TokenlineError } from '../errors/index.ts'

export const dbErrorCodes = [
  /** The database did not answer within the retry window (retriable). */
  'DB_UNREACHABLE',
  /** Applying `migrations/` failed; the schema is not usable. */
  'DB_MIGRATION_FAILED',
  /** Another process holds the embedded PGlite directory. */
  'DB_LOCKED',
  /** A pagination cursor that this storage did not hand out. */
  'DB_CURSOR_INVALID',
  /** An argument outside what the repository accepts (empty id, page size ≤ 0). */
  'DB_INPUT_INVALID',
  /** A row that must exist (e.g. the policy version to roll back to) does not. */
  'DB_NOT_FOUND',
] as const
export type DbErrorCode = (typeof dbErrorCodes)[number]

export class DbError extends TokenlineError<DbErrorCode> {}
