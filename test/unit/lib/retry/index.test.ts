import { describe, expect, it } from 'vitest'
import { withRetry } from '../../../../lib/retry/index.ts'

describe('withRetry', () => {
  it('returns the first success after failures, reporting each retry', async () => {
    let calls = 0
    const retries: [number, number][] = []
    const value = await withRetry(
      async () => {
        calls++
        if (calls < 3) throw new Error(`fail ${calls}`)
        return 'ok'
      },
      { initialDelayMs: 4, onRetry: (_err, attempt, delay) => retries.push([attempt, delay]) },
    )
    expect(value).toBe('ok')
    expect(calls).toBe(3)
    expect(retries.map(([attempt]) => attempt)).toEqual([1, 2])
  })

  it('waits between half and all of a doubling delay, capped', async () => {
    const delays: number[] = []
    await expect(
      withRetry(
        async () => {
          throw new Error('down')
        },
        { attempts: 5, initialDelayMs: 8, maxDelayMs: 20, onRetry: (_e, _a, delay) => delays.push(delay) },
      ),
    ).rejects.toThrow('down')
    const ceilings = [8, 16, 20, 20]
    expect(delays).toHaveLength(4)
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(ceilings[i]! / 2)
      expect(delay).toBeLessThanOrEqual(ceilings[i]!)
    })
  })

  it('throws the last error after the given number of attempts', async () => {
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls++
          throw new Error(`attempt ${calls}`)
        },
        { attempts: 3, initialDelayMs: 1 },
      ),
    ).rejects.toThrow('attempt 3')
    expect(calls).toBe(3)
  })

  it('stops at once when shouldRetry says no', async () => {
    let calls = 0
    const permanent = Object.assign(new Error('bad input'), { retriable: false })
    await expect(
      withRetry(
        async () => {
          calls++
          throw permanent
        },
        { initialDelayMs: 1, shouldRetry: (err) => (err as { retriable?: boolean }).retriable !== false },
      ),
    ).rejects.toBe(permanent)
    expect(calls).toBe(1)
  })
})
