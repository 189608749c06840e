import { describe, expect, it } from 'vitest'
import { TokenlineError } from '../../../../lib/errors/index.ts'
import { errorCodeOf, isRetriable, MessagingError } from '../../../../lib/messaging/index.ts'

describe('messaging errors', () => {
  it('treats only an explicit retriable flag as retriable', () => {
    expect(isRetriable(new MessagingError('MESSAGING_BROKER_UNREACHABLE', 'down', true))).toBe(true)
    expect(isRetriable(new MessagingError('MESSAGING_MESSAGE_INVALID', 'bad'))).toBe(false)
    expect(isRetriable(Object.assign(new Error('kafkajs'), { retriable: true }))).toBe(true)
    expect(isRetriable(new Error('plain'))).toBe(false)
    expect(isRetriable('text')).toBe(false)
    expect(isRetriable(null)).toBe(false)
  })

  it('names the code of ours, of kafkajs protocol errors and of node errors', () => {
    expect(errorCodeOf(new TokenlineError('EDGE_IMAGE_INVALID', 'x'))).toBe('EDGE_IMAGE_INVALID')
    expect(errorCodeOf(Object.assign(new Error('x'), { type: 'MESSAGE_TOO_LARGE' }))).toBe(
      'MESSAGE_TOO_LARGE',
    )
    expect(errorCodeOf(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED')
    expect(errorCodeOf(new TypeError('x'))).toBe('TypeError')
    expect(errorCodeOf(new Error('x'))).toBe('UNKNOWN')
    expect(errorCodeOf(42)).toBe('UNKNOWN')
  })
})
