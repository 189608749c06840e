import { describe, expect, it } from 'vitest'
import { BatchLoader } from '../../../../../services/gateway/src/graphql/internal/batch-loader.ts'

describe('BatchLoader', () => {
  it('fetches the keys asked for in one tick with one call and caches them', async () => {
    const calls: string[][] = []
    const loader = new BatchLoader<string, string | undefined>(
      async (keys) => {
        calls.push(keys)
        return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.toUpperCase()]))
      },
      () => undefined,
    )
    expect(await Promise.all(['a', 'b', 'a', 'missing'].map((k) => loader.load(k)))).toEqual([
      'A',
      'B',
      'A',
      undefined,
    ])
    expect(await loader.load('b')).toBe('B')
    expect(await loader.load('c')).toBe('C')
    expect(calls).toEqual([['a', 'b', 'missing'], ['c']])
  })

  it('rejects every waiter of a failed batch', async () => {
    const loader = new BatchLoader<string, string>(
      async () => {
        throw new Error('db down')
      },
      () => '',
    )
    const results = await Promise.allSettled([loader.load('x'), loader.load('y')])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
  })
})
