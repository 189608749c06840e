import { closeSync, mkdtempSync, openSync, readdirSync, statSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import {
  decodeRecords,
  encodeBatch,
  readBatchHeader,
} from '../../../../../services/broker/src/protocol/record-batch.ts'
import { type LogSettings, PartitionLog } from '../../../../../services/broker/src/storage/partition-log.ts'

const log = pino({ level: 'silent' })
const settings = (over: Partial<LogSettings> = {}): LogSettings => ({
  segmentBytes: 1 << 20,
  segmentMs: 7 * 86_400_000,
  retentionBytes: -1,
  retentionMs: -1,
  cleanupPolicy: 'delete',
  deleteRetentionMs: 86_400_000,
  maxMessageBytes: 1 << 20,
  indexIntervalBytes: 256,
  ...over,
})

const batchOf = (keys: string[], opts: { producerId?: number; baseSequence?: number; ts?: number } = {}) => {
  const b = encodeBatch({
    firstTimestamp: opts.ts ?? Date.now(),
    records: keys.map((k, i) => ({
      offsetDelta: i,
      timestampDelta: 0,
      key: Buffer.from(k),
      value: Buffer.from(`v-${k}-${i}`),
      headers: [],
    })),
    producerId: opts.producerId,
    producerEpoch: opts.producerId === undefined ? -1 : 0,
    baseSequence: opts.baseSequence,
  })
  return { batches: [b], headers: [readBatchHeader(b)] }
}

const append = (p: PartitionLog, keys: string[], opts = {}) => {
  const { batches, headers } = batchOf(keys, opts)
  return p.append(batches, headers, Date.now())
}

const readAll = (p: PartitionLog) => {
  const out: { offset: number; key: string }[] = []
  let offset = p.logStartOffset
  while (offset < p.nextOffset) {
    const buf = p.read(offset, 1 << 20)
    if (buf.length === 0) break
    for (let pos = 0; pos < buf.length; ) {
      const h = readBatchHeader(buf, pos)
      for (const r of decodeRecords(buf.subarray(pos, pos + h.size)))
        if (h.baseOffset + r.offsetDelta >= offset)
          out.push({ offset: h.baseOffset + r.offsetDelta, key: r.key!.toString() })
      offset = h.baseOffset + h.lastOffsetDelta + 1
      pos += h.size
    }
  }
  return out
}

describe('PartitionLog', () => {
  it('assigns consecutive offsets and reads back from any offset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plog-'))
    const p = new PartitionLog(dir, 't', 0, settings(), log)
    for (let i = 0; i < 50; i++)
      expect(append(p, [`a${i}`, `b${i}`])).toMatchObject({ ok: true, baseOffset: i * 2 })
    expect(p.nextOffset).toBe(100)
    const first = readBatchHeader(p.read(37, 100))
    expect(first.baseOffset).toBe(36)
    expect(readAll(p)).toHaveLength(100)
    p.close()
  })

  it('recovers after a torn tail: the partial batch is cut, earlier batches stay, appends continue', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plog-'))
    const p = new PartitionLog(dir, 't', 0, settings(), log)
    for (let i = 0; i < 10; i++) append(p, [`k${i}`])
    p.close()
    const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.log'))!)
    const size = statSync(file).size
    const extra = batchOf(['torn']).batches[0]!
    const fd = openSync(file, 'a')
    writeSync(fd, extra.subarray(0, extra.length - 7))
    closeSync(fd)
    expect(statSync(file).size).toBeGreaterThan(size)

    const again = new PartitionLog(dir, 't', 0, settings(), log)
    expect(statSync(file).size).toBe(size)
    expect(again.nextOffset).toBe(10)
    expect(append(again, ['after'])).toMatchObject({ ok: true, baseOffset: 10 })
    expect(readAll(again).map((r) => r.key)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `k${i}`),
      'after',
    ])
    again.close()
  })

  it('cuts a tail whose CRC does not match (garbage written after the last good batch)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plog-'))
    const p = new PartitionLog(dir, 't', 0, settings(), log)
    for (let i = 0; i < 3; i++) append(p, [`k${i}`])
    p.close()
    const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.log'))!)
    const good = statSync(file).size
    const corrupt = batchOf(['bad']).batches[0]!
    corrupt.writeBigInt64BE(3n, 0)
    corrupt[corrupt.length - 1]! ^= 0xff
    const fd = openSync(file, 'a')
    writeSync(fd, corrupt)
    closeSync(fd)
    const again = new PartitionLog(dir, 't', 0, settings(), log)
    expect(again.nextOffset).toBe(3)
    expect(statSync(file).size).toBe(good)
    again.close()
  })

  it('rolls segments and deletes the oldest past retention.bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plog-'))
    const p = new PartitionLog(dir, 't', 0, settings({ segmentBytes: 1024, retentionBytes: 2048 }), log)
    for (let i = 0; i < 100; i++) append(p, [`key-${i}`.padEnd(40, 'x')])
    const before = readdirSync(dir).filter((f) => f.endsWith('.log')).length
    expect(before).toBeGreaterThan(4)
    expect(p.applyRetention(Date.now())).toBeGreaterThan(0)
    expect(p.logStartOffset).toBeGreaterThan(0)
    expect(p.sizeBytes).toBeLessThanOrEqual(2048 + 1024)
    expect(readAll(p)[0]!.offset).toBe(p.logStartOffset)
    p.close()
  })

  it('deletes segments older than retention.ms by their newest timestamp', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plog-'))
    const p = new PartitionLog(dir, 't', 0, settings({ segmentBytes: 1024, retentionMs: 60_000 }), log)
    for (let i = 0; i < 30; i++) append(p, [`old-${i}`.padEnd(60, 'x')], { ts: Date.now() - 3_600_000 })
    append(p, ['fresh'.padEnd(1100, 'x')])
    append(p, ['fresh2'])
    expect(p.applyRetention(Date.now())).toBeGreaterThan(0)
    expect(readAll(p).every((r) => r.key.startsWith('fresh'))).toBe(true)
    p.close()
  })

  it('compacts closed segments to the newest value per key, keeping offsets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plog-'))
    const p = new PartitionLog(dir, 't', 0, settings({ segmentBytes: 1024, cleanupPolicy: 'compact' }), log)
    for (let i = 0; i < 60; i++) append(p, [`line-${i % 3}`])
    expect(p.compact()).toBeGreaterThan(0)
    const after = readAll(p)
    const latest = new Map<string, number>()
    for (let i = 0; i < 60; i++) latest.set(`line-${i % 3}`, i)
    for (const r of after)
      if (r.offset < 57) expect(latest.get(r.key)).not.toBe(r.offset === latest.get(r.key) ? -1 : r.offset)
    for (const [key, offset] of latest) expect(after).toContainEqual({ key, offset })
    expect(after.length).toBeLessThan(60)
    p.close()
    const reopened = new PartitionLog(
      dir,
      't',
      0,
      settings({ segmentBytes: 1024, cleanupPolicy: 'compact' }),
      log,
    )
    expect(readAll(reopened)).toEqual(after)
    reopened.close()
  })

  it('deletes a segment compaction empties (no 0-byte .log/.index) and leaves no cleaning/ folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plog-'))
    const p = new PartitionLog(dir, 't', 0, settings({ segmentBytes: 1024, cleanupPolicy: 'compact' }), log)
    for (let i = 0; i < 60; i++) append(p, ['same-key'])
    expect(p.segmentBaseOffsets.length).toBeGreaterThan(2)
    expect(p.compact()).toBeGreaterThan(0)
    const files = readdirSync(dir)
    expect(files).not.toContain('cleaning')
    for (const f of files) expect(statSync(join(dir, f)).size, f).toBeGreaterThan(0)
    const active = p.segmentBaseOffsets.at(-1)!
    expect(p.segmentBaseOffsets).toEqual([active])
    expect(readAll(p).map((r) => r.offset)).toEqual(Array.from({ length: 60 - active }, (_, i) => active + i))
    p.close()
  })

  it('drops a tombstone only once it is older than delete.retention.ms', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plog-'))
    const p = new PartitionLog(
      dir,
      't',
      0,
      settings({ segmentBytes: 1024, cleanupPolicy: 'compact', deleteRetentionMs: 60_000 }),
      log,
    )
    const t0 = 1_700_000_000_000
    const rec = (key: string, value: string | null) =>
      encodeBatch({
        firstTimestamp: t0,
        records: [
          {
            offsetDelta: 0,
            timestampDelta: 0,
            key: Buffer.from(key),
            value: value === null ? null : Buffer.from(value),
            headers: [],
          },
        ],
      })
    for (const b of [rec('gone', 'v1'), rec('kept', 'v1'), rec('gone', null)])
      p.append([b], [readBatchHeader(b)], t0)
    p.roll()
    const tail = rec('other', 'x')
    p.append([tail], [readBatchHeader(tail)], t0)
    p.compact(t0 + 30_000)
    expect(readAll(p).map((r) => r.key)).toEqual(['kept', 'gone', 'other'])
    p.compact(t0 + 60_001)
    expect(readAll(p).map((r) => r.key)).toEqual(['kept', 'other'])
    p.close()
  })

  it('answers a retried idempotent batch with its original offset and rejects a sequence gap', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plog-'))
    const p = new PartitionLog(dir, 't', 0, settings(), log)
    expect(append(p, ['a', 'b'], { producerId: 7, baseSequence: 0 })).toMatchObject({
      ok: true,
      baseOffset: 0,
    })
    expect(append(p, ['c'], { producerId: 7, baseSequence: 2 })).toMatchObject({ ok: true, baseOffset: 2 })
    expect(append(p, ['c'], { producerId: 7, baseSequence: 2 })).toMatchObject({ ok: true, baseOffset: 2 })
    expect(p.nextOffset).toBe(3)
    expect(append(p, ['e'], { producerId: 7, baseSequence: 9 })).toMatchObject({ ok: false, errorCode: 45 })
    p.close()
    const reopened = new PartitionLog(dir, 't', 0, settings(), log)
    expect(append(reopened, ['c'], { producerId: 7, baseSequence: 2 })).toMatchObject({
      ok: true,
      baseOffset: 2,
    })
    expect(reopened.nextOffset).toBe(3)
    reopened.close()
  })
})
