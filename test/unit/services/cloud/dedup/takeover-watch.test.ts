import { describe, expect, it } from 'vitest'
import { TakeoverWatch } from '../../../../../services/cloud/src/dedup/takeover-watch.ts'

describe('TakeoverWatch', () => {
  it('suspects the first batch of a partition, then trusts batches that continue its own work', () => {
    const watch = new TakeoverWatch(5000)
    expect(watch.mayBeRedelivery(2, '0', 1000)).toBe(true)
    watch.handled(2, '15', 1010)
    expect(watch.mayBeRedelivery(2, '16', 1020)).toBe(false)
    expect(watch.mayBeRedelivery(3, '16', 1020)).toBe(true)
  })

  it('suspects a gap or a rewind (another member had the partition)', () => {
    const watch = new TakeoverWatch(5000)
    watch.handled(0, '9', 0)
    expect(watch.mayBeRedelivery(0, '20', 10)).toBe(true)
    expect(watch.mayBeRedelivery(0, '5', 10)).toBe(true)
  })

  it('suspects a partition quiet for longer than quietMs, even at the expected offset', () => {
    const watch = new TakeoverWatch(5000)
    watch.handled(1, '9', 0)
    expect(watch.mayBeRedelivery(1, '10', 5000)).toBe(false)
    expect(watch.mayBeRedelivery(1, '10', 5001)).toBe(true)
  })

  it('handles offsets past 2^53', () => {
    const watch = new TakeoverWatch(5000)
    watch.handled(0, '9007199254740993', 0)
    expect(watch.mayBeRedelivery(0, '9007199254740994', 1)).toBe(false)
  })
})
