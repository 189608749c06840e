import { appendFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { OffsetStore } from '../../../../../services/broker/src/storage/offset-store.ts'

const log = pino({ level: 'silent' })

describe('OffsetStore', () => {
  it('replays commits after a restart and drops a torn last entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'offsets-'))
    const s = new OffsetStore(dir, log)
    s.commit('g', [
      { topic: 't', partition: 0, offset: 5, metadata: null },
      { topic: 't', partition: 1, offset: 7, metadata: 'm' },
    ])
    s.commit('g', [{ topic: 't', partition: 0, offset: 9, metadata: null }])
    s.close()
    appendFileSync(join(dir, 'offsets.log'), Buffer.from([0, 0, 0, 50, 1, 2, 3, 4, 0x7b]))
    const again = new OffsetStore(dir, log)
    expect(again.get('g', 't', 0)).toEqual({ offset: 9, metadata: null })
    expect(again.get('g', 't', 1)).toEqual({ offset: 7, metadata: 'm' })
    again.commit('g', [{ topic: 't', partition: 1, offset: 8, metadata: null }])
    again.close()
    const third = new OffsetStore(dir, log)
    expect(third.get('g', 't', 1)?.offset).toBe(8)
    expect(third.groupIds()).toEqual(['g'])
    third.close()
  })
})
