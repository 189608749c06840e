import { DbError } from '../errors.ts'

/**
 * Keyset cursor over (time desc, id desc): base64url of `<ISO-8601 time>|<id>`.
 * Times are written from JS Dates, so millisecond precision round-trips exactly.
 */
export type Cursor = { at: Date; id: string }

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.at.toISOString()}|${cursor.id}`).toString('base64url')
}

export function decodeCursor(text: string): Cursor {
  const decoded = Buffer.from(text, 'base64url').toString('utf8')
  const sep = decoded.indexOf('|')
  const at = new Date(decoded.slice(0, sep))
  const id = decoded.slice(sep + 1)
  if (sep < 0 || Number.isNaN(at.getTime()) || id.length === 0) {
    throw new DbError(
      'DB_CURSOR_INVALID',
      `expected a cursor returned by a previous page (endCursor) for after; received ${JSON.stringify(text)}`,
    )
  }
  return { at, id }
}
