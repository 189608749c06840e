import { tmpdir } from 'node:os'
import { describe, expect, it } from 'vitest'
import { CapacityGuard } from '../../../../../services/edge/src/housekeeping/capacity.guard.ts'

describe('CapacityGuard', () => {
  const limits = { outboxMaxRows: 10, outboxMaxBytes: 1000, minFreeDiskBytes: 500 }

  it('lets work through below every limit', () => {
    const g = new CapacityGuard(limits, tmpdir())
    g.outbox = { rows: 9, bytes: 999, oldestCreatedAt: null }
    g.freeDiskBytes = 500
    expect(() => g.check()).not.toThrow()
    expect(g.problems()).toEqual([])
  })

  it('refuses with EDGE_OUTBOX_FULL at the row or byte limit and says which', () => {
    const g = new CapacityGuard(limits, tmpdir())
    g.outbox = { rows: 10, bytes: 0, oldestCreatedAt: null }
    expect(() => g.check()).toThrow(expect.objectContaining({ code: 'EDGE_OUTBOX_FULL', retriable: true }))
    g.outbox = { rows: 0, bytes: 1000, oldestCreatedAt: null }
    expect(() => g.check()).toThrow(expect.objectContaining({ code: 'EDGE_OUTBOX_FULL' }))
    expect(g.problems()).toEqual(['outbox holds 1000 unsent bytes (limit 1000)'])
  })

  it('refuses with EDGE_DISK_FULL below the free-disk minimum', () => {
    const g = new CapacityGuard(limits, tmpdir())
    g.freeDiskBytes = 499
    expect(() => g.check()).toThrow(expect.objectContaining({ code: 'EDGE_DISK_FULL' }))
    expect(g.problems()[0]).toMatch(/499 bytes free/)
  })

  it('measures the real free disk of the data directory', async () => {
    const g = new CapacityGuard(limits, tmpdir())
    await g.refreshDisk()
    expect(g.freeDiskBytes).toBeGreaterThan(0)
    expect(Number.isFinite(g.freeDiskBytes)).toBe(true)
  })
})
