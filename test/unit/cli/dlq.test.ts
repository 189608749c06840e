import { describe, expect, it } from 'vitest'
import { decodePayload, matches, previewBytes } from '../../../cli/internal/dlq-format.ts'
import { loadDlqCommand, loadDlqConfig } from '../../../cli/internal/dlq-options.ts'
import type { DlqRecord } from '../../../cli/internal/dlq-reader.ts'
import { onePerOrigin, originOf, redriveOf, redriveRefusal } from '../../../cli/internal/dlq-redrive.ts'
import { ConfigError } from '../../../lib/config/index.ts'
import { encodeFrame, frameContentType } from '../../../lib/messaging/index.ts'
import { deadLetter } from '../lib/messaging/contracts/fixtures.ts'

function problems(argv: string[]): string[] {
  try {
    loadDlqCommand(argv)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  throw new Error(`expected ${argv.join(' ')} to be refused`)
}

const record = (overrides: Parameters<typeof deadLetter>[0] = {}, key = 'line-a'): DlqRecord => ({
  partition: 0,
  offset: '12',
  key: Buffer.from(key),
  letter: deadLetter(overrides),
  problem: undefined,
})

describe('npm run dlq arguments', () => {
  it('parses each command', () => {
    expect(
      loadDlqCommand([
        '--',
        'list',
        '--code',
        'X',
        '--since',
        '2026-12-01T00:00:00Z',
        '--limit',
        '5',
        '--json',
      ]),
    ).toEqual({
      command: 'list',
      filter: { code: 'X', since: new Date('2026-12-01T00:00:00Z') },
      limit: 5,
      json: true,
    })
    expect(loadDlqCommand(['show', '0:42'])).toEqual({ command: 'show', at: { partition: 0, offset: 42n } })
    expect(loadDlqCommand(['redrive', '0:1', '0:9007199254740993', '--dry-run'])).toEqual({
      command: 'redrive',
      select: {
        at: [
          { partition: 0, offset: 1n },
          { partition: 0, offset: 9007199254740993n },
        ],
      },
      dryRun: true,
    })
    expect(loadDlqCommand(['redrive', '--code', 'X', '--topic', 'tokenline.results.v1'])).toEqual({
      command: 'redrive',
      select: { filter: { code: 'X', topic: 'tokenline.results.v1' } },
      dryRun: false,
    })
    expect(loadDlqCommand(['help'])).toEqual({ command: 'help' })
    expect(loadDlqCommand(['redrive', '--help'])).toEqual({ command: 'help' })
  })

  it('names every bad argument', () => {
    expect(problems(['list', '--limit', '0', '--since', 'yesterday'])).toEqual([
      'expected an ISO time (e.g. 2026-12-03T12:00:00Z) for --since but received "yesterday"',
      'expected a positive whole number for --limit but received "0"',
    ])
    expect(problems(['show'])).toEqual(['show: expected one <partition>:<offset> but received 0'])
    expect(problems(['show', '0:-1'])[0]).toMatch(/expected <partition>:<offset> .* but received "0:-1"/)
    expect(problems(['redrive'])[0]).toMatch(/expected <partition>:<offset>\.\.\. or --code/)
    expect(problems(['redrive', '--topic', 'tokenline.results.v1'])[0]).toMatch(
      /--topic selects only together with --code/,
    )
    expect(problems(['redrive', '0:1', '--code', 'X'])[0]).toMatch(/not both/)
    expect(problems(['list', '--dry-run'])[0]).toMatch(/Unknown option '--dry-run'/)
    expect(problems(['list', 'extra'])[0]).toMatch(/Unexpected argument 'extra'/)
    expect(problems([])[0]).toMatch(/expected a command \(list, show or redrive\) but received nothing/)
    expect(problems(['drain'])[0]).toMatch(
      /expected a command \(list, show or redrive\) but received "drain"/,
    )
  })

  it('reads the brokers as the services do', () => {
    expect(loadDlqConfig({})).toEqual({ brokers: ['127.0.0.1:9092'], logLevel: 'warn' })
    expect(loadDlqConfig({ KAFKA_BROKERS: 'k1:9092, k2:9092', LOG_LEVEL: 'debug' })).toEqual({
      brokers: ['k1:9092', 'k2:9092'],
      logLevel: 'debug',
    })
    expect(() => loadDlqConfig({ KAFKA_BROKERS: 'k1' })).toThrow(ConfigError)
  })
})

describe('redrive rules', () => {
  it('refuses the policies topics, unknown topics, the DLQ, tombstones and non-envelopes', () => {
    const original = deadLetter().original
    for (const topic of ['tokenline.policies.v2', 'tokenline.policies.v1'])
      expect(redriveRefusal(record({ original: { ...original, topic } }))).toMatch(
        /compacted.*updatePolicy or rollbackPolicy/,
      )
    expect(redriveRefusal(record({ original: { ...original, topic: 'orders' } }))).toMatch(
      /"orders" is not a platform topic/,
    )
    expect(redriveRefusal(record({ original: { ...original, topic: 'tokenline.dlq.v1' } }))).toMatch(
      /dead-letter topic itself/,
    )
    expect(
      redriveRefusal(record({ original: { ...original, valueNull: true }, value: Buffer.alloc(0) })),
    ).toMatch(/tombstone/)
    expect(redriveRefusal({ ...record(), letter: undefined, problem: 'bad frame' })).toMatch(
      /not a dead-letter envelope \(bad frame\)/,
    )
    expect(redriveRefusal(record())).toBeUndefined()
  })

  it('keeps key, value and headers and counts redrives on', () => {
    const now = new Date('2026-12-03T12:00:00Z')
    const first = redriveOf(record({ value: Buffer.from([1, 2, 3]) }), now)
    expect(first).toEqual({
      from: '0:12',
      topic: 'tokenline.escalations.v1',
      key: Buffer.from('line-a'),
      value: Buffer.from([1, 2, 3]),
      headers: {
        'tokenline-schema': 'tokenline.escalation',
        'tokenline-redrive-origin': originOf(record()),
        'tokenline-redriven-from': 'tokenline.dlq.v1:0:12',
        'tokenline-redriven-at': '2026-12-03T12:00:00.000Z',
        'tokenline-redrive-count': '1',
      },
    })
    const again = redriveOf(record({ original: { ...deadLetter().original, headers: first.headers } }), now)
    expect(again.headers['tokenline-redrive-count']).toBe('2')
    // The origin is the first dead-lettered record's, kept across redrives.
    expect(again.headers['tokenline-redrive-origin']).toBe(first.headers['tokenline-redrive-origin'])
  })

  it('sends one record per original record, however many dead letters stand for it', () => {
    const original = deadLetter().original
    const a = record()
    const byAnotherGroup = { ...record({ consumerGroup: 'another-group' }), offset: '13' }
    const redrivenOnce = redriveOf(a, new Date('2026-12-03T12:00:00Z'))
    const failedAgain = {
      ...record({ original: { ...original, partition: 2, offset: '900', headers: redrivenOnce.headers } }),
      offset: '14',
    }
    const other = { ...record({ original: { ...original, offset: '77' } }), offset: '15' }
    expect(originOf(failedAgain)).toBe(originOf(a))
    const { kept, skipped } = onePerOrigin([a, byAnotherGroup, failedAgain, other, a])
    expect(skipped).toBe(3)
    expect(kept.map((r) => r.offset)).toEqual(['15', '12'])
  })
})

describe('payload preview', () => {
  it('decodes JSON, frames and bounds other bytes', () => {
    expect(decodePayload(Buffer.from('{"a":1}'), {})).toEqual({ encoding: 'json', bytes: 7, json: { a: 1 } })
    const frame = decodePayload(encodeFrame({ h: true }, Buffer.alloc(1000, 7)), {
      'content-type': frameContentType,
    })
    expect(frame).toMatchObject({
      encoding: 'frame',
      header: { h: true },
      body: { bytes: 1000, truncated: true },
    })
    const bytes = decodePayload(Buffer.alloc(previewBytes + 10, 0xff), {})
    expect(bytes).toMatchObject({
      encoding: 'bytes',
      bytes: previewBytes + 10,
      previewBytes,
      truncated: true,
    })
    expect((bytes.hex as string).length).toBe(previewBytes * 2)
  })

  it('filters on every field given', () => {
    const r = record()
    expect(matches(r, {})).toBe(true)
    expect(matches(r, { topic: 'tokenline.escalations.v1', code: r.letter!.error.code })).toBe(true)
    expect(matches(r, { code: 'OTHER' })).toBe(false)
    expect(matches(r, { since: new Date(Date.parse(r.letter!.deadLetteredAt) + 1) })).toBe(false)
    expect(matches({ ...r, letter: undefined }, { code: 'X' })).toBe(false)
  })
})
