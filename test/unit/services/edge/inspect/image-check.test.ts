import { describe, expect, it } from 'vitest'
import { checkImage } from '../../../../../services/edge/src/inspect/image-check.ts'

const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])
const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0])
const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')])

describe('checkImage', () => {
  it('accepts PNG, JPEG and WebP whose bytes match the declared type (parameters ignored)', () => {
    expect(checkImage(png, 'image/png')).toBe('image/png')
    expect(checkImage(jpeg, 'IMAGE/JPEG; q=1')).toBe('image/jpeg')
    expect(checkImage(webp, 'image/webp')).toBe('image/webp')
  })

  it.each([
    ['no content type', png, undefined, 'EDGE_UNSUPPORTED_TYPE'],
    ['image/gif', png, 'image/gif', 'EDGE_UNSUPPORTED_TYPE'],
    ['an empty body', Buffer.alloc(0), 'image/png', 'EDGE_IMAGE_EMPTY'],
    ['text', Buffer.from('{"json": true}'), 'image/png', 'EDGE_NOT_AN_IMAGE'],
    ['JPEG bytes declared as PNG', jpeg, 'image/png', 'EDGE_UNSUPPORTED_TYPE'],
  ])('refuses %s', (_what, bytes, type, code) => {
    expect(() => checkImage(bytes, type)).toThrow(expect.objectContaining({ code }))
  })
})
