import { describe, expect, it } from 'vitest'
import { escalationV1, MessagingError } from '../../../../../lib/messaging/index.ts'
import { escalation } from './fixtures.ts'

function thrown(fn: () => unknown): MessagingError {
  try {
    fn()
  } catch (err) {
    return err as MessagingError
  }
  throw new Error('expected a throw')
}

describe('escalation v1', () => {
  it('round-trips with the image bytes outside the JSON header', () => {
    const message = escalation()
    const encoded = escalationV1.encode(message)
    expect(encoded.headers).toEqual({
      'tokenline-schema': 'tokenline.escalation',
      'tokenline-schema-version': '1',
      'content-type': 'application/vnd.tokenline.frame.v1',
    })
    const headerLength = encoded.value.readUInt32BE(0)
    expect(encoded.value.subarray(4 + headerLength)).toEqual(Buffer.from(message.image.bytes))
    expect(encoded.value.subarray(4, 4 + headerLength).toString()).not.toContain('bytes')
    const decoded = escalationV1.decode(encoded.value, encoded.headers)
    expect(decoded).toEqual({
      ...message,
      image: { ...message.image, bytes: Buffer.from(message.image.bytes) },
    })
  })

  it('sends a large image at its own size (no base64 inflation)', () => {
    const bytes = Buffer.alloc(256 * 256, 7)
    const message = escalation({
      image: { encoding: 'raw', width: 256, height: 256, channels: 1, colorSpace: 'b-w', bytes },
    })
    const encoded = escalationV1.encode(message)
    expect(encoded.value.length).toBeLessThan(bytes.length + 2000)
  })

  it('refuses to encode raw pixels that do not match width × height × channels', () => {
    const err = thrown(() =>
      escalationV1.encode(
        escalation({
          image: {
            encoding: 'raw',
            width: 4,
            height: 4,
            channels: 1,
            colorSpace: 'b-w',
            bytes: Buffer.alloc(3),
          },
        }),
      ),
    )
    expect(err.code).toBe('MESSAGING_MESSAGE_INVALID')
    expect(err.message).toContain('expected 4×4×1 = 16 raw bytes but received 3')
  })

  it('lists every invalid field with what was received', () => {
    const err = thrown(() =>
      escalationV1.encode(
        escalation({
          inspectionId: 'not-a-uuid',
          policyVersion: 0,
          ladder: [5],
        }),
      ),
    )
    expect(err.code).toBe('MESSAGING_MESSAGE_INVALID')
    expect(err.retriable).toBe(false)
    expect(err.message).toMatch(/inspectionId: expected a UUID; received "not-a-uuid"/)
    expect(err.message).toMatch(/policyVersion: .*received 0/)
    expect(err.message).toMatch(/ladder\.0: expected a perfect square/)
  })

  it('rejects probabilities that do not sum to 1 and a label outside them', () => {
    const base = escalation()
    const err = thrown(() =>
      escalationV1.encode({
        ...base,
        edge: { ...base.edge, label: 'crack', probabilities: { ok: 0.5, pit: 0.2 } },
      }),
    )
    expect(err.message).toContain('edge.probabilities: expected probabilities summing to 1')
    expect(err.message).toContain('edge.label: expected label to be one of the probability keys')
  })

  it('rejects one patch score per token when the count is wrong', () => {
    const base = escalation()
    const err = thrown(() => escalationV1.encode({ ...base, edge: { ...base.edge, patchScores: [0.1] } }))
    expect(err.message).toContain('edge.patchScores')
  })

  it('on consume, rejects a record whose headers name another schema or version', () => {
    const encoded = escalationV1.encode(escalation())
    const err = thrown(() =>
      escalationV1.decode(encoded.value, {
        ...encoded.headers,
        'tokenline-schema-version': Buffer.from('2'),
      }),
    )
    expect(err.code).toBe('MESSAGING_MESSAGE_INVALID')
    expect(err.retriable).toBe(false)
    expect(err.message).toContain('header tokenline-schema-version: expected "1" but received "2"')
    expect(thrown(() => escalationV1.decode(encoded.value, {})).message).toContain(
      'header tokenline-schema: expected "tokenline.escalation" but received nothing',
    )
  })

  it('on consume, rejects a tampered header with a typed, non-retriable error', () => {
    const encoded = escalationV1.encode(escalation())
    const headerLength = encoded.value.readUInt32BE(0)
    const header = JSON.parse(encoded.value.subarray(4, 4 + headerLength).toString())
    header.image.width = 5
    const text = Buffer.from(JSON.stringify(header))
    const prefix = Buffer.alloc(4)
    prefix.writeUInt32BE(text.length)
    const tampered = Buffer.concat([prefix, text, encoded.value.subarray(4 + headerLength)])
    const err = thrown(() => escalationV1.decode(tampered, encoded.headers))
    expect(err).toBeInstanceOf(MessagingError)
    expect(err.code).toBe('MESSAGING_MESSAGE_INVALID')
    expect(err.message).toContain('(decode)')
  })

  it('rejects a null value (tombstone)', () => {
    const encoded = escalationV1.encode(escalation())
    expect(thrown(() => escalationV1.decode(null, encoded.headers)).message).toContain('tombstone')
  })
})
