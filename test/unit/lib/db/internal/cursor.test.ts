import { describe, expect, it } from 'vitest'
import { decodeCursor, encodeCursor } from '../../../../../lib/db/internal/cursor.ts'

const id = '0b7f6c9e-8a1d-4c2e-9f3a-5d6e7f8a9b0c'
const b64 = (text: string) => Buffer.from(text).toString('base64url')

function codeOf(text: string): string | undefined {
  try {
    decodeCursor(text)
    return undefined
  } catch (err) {
    return (err as { code?: string }).code
  }
}

describe('keyset cursor', () => {
  it('round-trips what it encodes', () => {
    const at = new Date('2026-11-03T10:00:00.123Z')
    expect(decodeCursor(encodeCursor({ at, id }))).toEqual({ at, id })
  })

  it.each([
    ['a forged year −271821 (a valid JS date)', b64(`-271821-04-20T00:00:00.000Z|${id}`)],
    ['a loose date', b64(`5|${id}`)],
    ['a date without milliseconds', b64(`2026-11-03T10:00:00Z|${id}`)],
    ['a date that does not exist', b64(`2026-02-31T10:00:00.000Z|${id}`)],
    ['a year past 2999', b64(`9999-01-01T00:00:00.000Z|${id}`)],
    ['a year before 1970', b64(`1969-12-31T23:59:59.999Z|${id}`)],
    ['an id that is not a UUID', b64('2026-11-03T10:00:00.000Z|abc')],
    ['an upper-case id', b64(`2026-11-03T10:00:00.000Z|${id.toUpperCase()}`)],
    ['no separator', b64('2026-11-03T10:00:00.000Z')],
    ['trailing text', b64(`2026-11-03T10:00:00.000Z|${id}|x`)],
    ['padding', `${b64(`2026-11-03T10:00:00.000Z|${id}`)}=`],
    ['not base64url', '!!!!'],
    ['empty', ''],
    ['very long', 'A'.repeat(10_000)],
  ])('refuses %s with DB_CURSOR_INVALID', (_what, text) => {
    expect(codeOf(text)).toBe('DB_CURSOR_INVALID')
  })
})
