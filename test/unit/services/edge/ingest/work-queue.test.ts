import { describe, expect, it } from 'vitest'
import { WorkQueue } from '../../../../../services/edge/src/ingest/work-queue.ts'

const gate = () => {
  let open!: () => void
  const opened = new Promise<void>((r) => {
    open = r
  })
  return { open, opened }
}

describe('WorkQueue', () => {
  it('runs up to `concurrency` at once, lets `maxWaiting` wait and refuses the rest with EDGE_QUEUE_FULL', async () => {
    const q = new WorkQueue(2, 1)
    const g = gate()
    let started = 0
    const task = async () => {
      started++
      await g.opened
      return started
    }
    const a = q.run(task)
    const b = q.run(task)
    const c = q.run(task)
    expect(q.active).toBe(2)
    expect(q.depth).toBe(1)
    expect(q.full).toBe(true)
    await expect(q.run(task)).rejects.toMatchObject({ code: 'EDGE_QUEUE_FULL', retriable: true })
    g.open()
    await Promise.all([a, b, c])
    expect(started).toBe(3)
    expect(q.active).toBe(0)
    expect(q.depth).toBe(0)
  })

  it('frees the slot when a task throws', async () => {
    const q = new WorkQueue(1, 0)
    await expect(q.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    await expect(q.run(async () => 'ok')).resolves.toBe('ok')
  })

  it('refuses new work after close with EDGE_CLOSING', async () => {
    const q = new WorkQueue(1, 1)
    await q.close()
    await expect(q.run(async () => 1)).rejects.toMatchObject({ code: 'EDGE_CLOSING' })
  })
})
