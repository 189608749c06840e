import { describe, expect, it } from 'vitest'
import { decodeFrame, encodeFrame } from '../../../../../lib/messaging/contracts/frame.ts'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

describe('tokenline frame v1', () => {
  it('lays out [u32 BE header length][JSON header][body] and reads it back', () => {
    const body = Buffer.from([0, 255, 10, 13])
    const frame = encodeFrame({ a: 1 }, body)
    expect(frame.readUInt32BE(0)).toBe(7)
    expect(frame.subarray(4, 11).toString('utf8')).toBe('{"a":1}')
    expect(frame.subarray(11)).toEqual(body)
    const decoded = decodeFrame(frame)
    expect(decoded.header).toEqual({ a: 1 })
    expect(decoded.body).toEqual(body)
  })

  it('carries an empty body', () => {
    const decoded = decodeFrame(encodeFrame({ x: 'y' }, new Uint8Array(0)))
    expect(decoded.body.length).toBe(0)
  })

  it('rejects frames shorter than the length prefix', () => {
    expect(codeOf(() => decodeFrame(Buffer.from([0, 0])))).toBe('MESSAGING_MESSAGE_INVALID')
  })

  it('rejects a header length that runs past the end', () => {
    const frame = Buffer.alloc(8)
    frame.writeUInt32BE(100, 0)
    expect(() => decodeFrame(frame)).toThrow(/header length says 100 bytes but only 4 follow/)
  })

  it('rejects a header that is not a JSON object', () => {
    const text = Buffer.from('[1,2]')
    const frame = Buffer.concat([Buffer.from([0, 0, 0, text.length]), text])
    expect(() => decodeFrame(frame)).toThrow(/expected a JSON object but received an array/)
    const junk = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{x}')])
    expect(codeOf(() => decodeFrame(junk))).toBe('MESSAGING_MESSAGE_INVALID')
  })
})
