import { describe, expect, it } from 'vitest'
import { formatLogLine, LineSplitter } from '../../../../scripts/internal/log-format.ts'

describe('formatLogLine', () => {
  it('turns a pino JSON line into time, level, message and fields', () => {
    const line = JSON.stringify({
      level: 30,
      time: Date.UTC(2026, 10, 26, 18, 2, 11, 42),
      pid: 1,
      hostname: 'h',
      name: 'gateway',
      service: 'gateway',
      msg: 'listening',
      port: 4000,
      host: '127.0.0.1',
    })
    expect(formatLogLine('gateway |', line)).toBe(
      'gateway | 18:02:11.042 INFO  listening port=4000 host="127.0.0.1"',
    )
  })

  it('shows an error field as code and message', () => {
    const line = JSON.stringify({
      level: 50,
      time: 0,
      msg: 'publish failed',
      err: { type: 'MessagingError', code: 'MESSAGING_PUBLISH_FAILED', message: 'no ack', stack: 'x' },
    })
    expect(formatLogLine('edge |', line)).toBe(
      'edge | 00:00:00.000 ERROR publish failed err="MESSAGING_PUBLISH_FAILED: no ack"',
    )
  })

  it('passes other text through after the prefix', () => {
    expect(formatLogLine('cloud |', 'plain text\n')).toBe('cloud | plain text')
    expect(formatLogLine('cloud |', '{not json')).toBe('cloud | {not json')
    expect(formatLogLine('cloud |', '{"a":1}')).toBe('cloud | {"a":1}')
  })
})

describe('LineSplitter', () => {
  it('joins chunks into whole lines and keeps the unfinished tail', () => {
    const splitter = new LineSplitter()
    expect(splitter.push('one\ntw')).toEqual(['one'])
    expect(splitter.push('o\nthree')).toEqual(['two'])
    expect(splitter.flush()).toEqual(['three'])
    expect(splitter.flush()).toEqual([])
  })
})
