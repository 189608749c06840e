import { DbError } from '../errors.ts'

/**
 * Keyset cursor over (time desc, id desc): base64url of `<ISO-8601 time>|<id>`, the time exactly as
 * `Date.toISOString()` writes it (`2026-11-03T10:00:00.000Z`), the id a lowercase UUID.
 * Times are written from JS Dates, so millisecond precision round-trips exactly.
 */
export type Cursor = { at: Date; id: string }

/** Longest cursor text accepted: 24 time + 1 + 36 id characters, base64url (84 characters) with room. */
const maxCursorLength = 128
const cursorPattern =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/
/** Years a stored time can have; outside them a cursor was forged, not handed out. */
const minYear = 1970
const maxYear = 2999

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.at.toISOString()}|${cursor.id}`).toString('base64url')
}

/** The cursor `encodeCursor` wrote, or DB_CURSOR_INVALID for anything else (forged, truncated, loose). */
export function decodeCursor(text: string): Cursor {
  const invalid = (why: string) =>
    new DbError(
      'DB_CURSOR_INVALID',
      `expected a cursor returned by a previous page (endCursor) for after; received ${JSON.stringify(text.length > maxCursorLength ? `${text.slice(0, maxCursorLength)}…` : text)} (${why})`,
    )
  if (text.length === 0 || text.length > maxCursorLength || !/^[A-Za-z0-9_-]+$/.test(text)) {
    throw invalid('not base64url of the expected length')
  }
  const decoded = Buffer.from(text, 'base64url').toString('utf8')
  // Decoding is lenient (trailing bits, padding); only the canonical encoding of a well-formed cursor passes.
  const match = cursorPattern.exec(decoded)
  if (!match || Buffer.from(decoded).toString('base64url') !== text) throw invalid('not time|id')
  const at = new Date(match[1]!)
  if (Number.isNaN(at.getTime()) || at.toISOString() !== match[1]) throw invalid('not a real time')
  const year = at.getUTCFullYear()
  if (year < minYear || year > maxYear) throw invalid(`year ${year} outside ${minYear}–${maxYear}`)
  return { at, id: match[2]! }
}
