import { describe, expect, it } from 'vitest'
import {
  bearerSecret,
  hashSecret,
  newSecret,
  secretPrefix,
} from '../../../../../services/gateway/src/auth/api-key.secret.ts'

describe('API key secrets', () => {
  it('are tl_ and 40 base64url characters, different every time, stored as their sha256', () => {
    const a = newSecret()
    expect(a).toMatch(/^tl_[A-Za-z0-9_-]{40}$/)
    expect(newSecret()).not.toBe(a)
    expect(hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(secretPrefix(a)).toBe(a.slice(0, 10))
  })

  it('are read from `authorization: Bearer <secret>` only', () => {
    const secret = `tl_${'a'.repeat(40)}`
    expect(bearerSecret(`Bearer ${secret}`)).toEqual({ secret, malformed: false })
    expect(bearerSecret(`bearer   ${secret} `)).toEqual({ secret, malformed: false })
    expect(bearerSecret(undefined)).toEqual({ malformed: false })
    expect(bearerSecret('')).toEqual({ malformed: false })
    expect(bearerSecret(secret)).toEqual({ malformed: true })
    expect(bearerSecret('Bearer short')).toEqual({ malformed: true })
    expect(bearerSecret(`Bearer ${secret} extra`)).toEqual({ malformed: true })
    expect(bearerSecret(`Bearer ${'a'.repeat(30)}!`)).toEqual({ malformed: true })
  })
})
