import { describe, expect, it } from 'vitest'
import { AnsweredIds } from '../../../../../services/cloud/src/dedup/answered-ids.ts'

const hour = 3_600_000

describe('AnsweredIds', () => {
  it('forgets ids older than the age limit, oldest first, as new ones arrive', () => {
    let now = 0
    const ids = new AnsweredIds(1000, 24 * hour, () => now)
    ids.add('a')
    now = 2 * hour
    ids.add('b')
    now = 24 * hour
    ids.add('c')
    expect(['a', 'b', 'c'].filter((id) => ids.has(id))).toEqual(['a', 'b', 'c'])

    now = 24 * hour + 1
    ids.add('d')
    expect(['a', 'b', 'c', 'd'].filter((id) => ids.has(id))).toEqual(['b', 'c', 'd'])
    now = 30 * hour
    ids.add('e')
    expect(['b', 'c', 'd', 'e'].filter((id) => ids.has(id))).toEqual(['c', 'd', 'e'])
    expect(ids.size).toBe(3)
  })

  it('ages ids by the verdict time given, not by when they were read', () => {
    const now = 100 * hour
    const ids = new AnsweredIds(1000, 24 * hour, () => now)
    ids.add('read-at-start', now - 23 * hour)
    ids.add('fresh', now)
    expect(ids.has('read-at-start')).toBe(true)
    const later = new AnsweredIds(1000, 24 * hour, () => now + 2 * hour)
    later.add('read-at-start', now - 23 * hour)
    later.add('fresh', now)
    expect(later.has('read-at-start')).toBe(false)
    expect(later.has('fresh')).toBe(true)
  })

  it('keeps the count cap, and a known id keeps its first time', () => {
    let now = 0
    const ids = new AnsweredIds(2, 24 * hour, () => now)
    ids.add('a')
    ids.add('b')
    ids.add('c')
    expect(['a', 'b', 'c'].filter((id) => ids.has(id))).toEqual(['b', 'c'])
    now = 12 * hour
    ids.add('b')
    now = 24 * hour + 1
    ids.add('d')
    expect(['b', 'c', 'd'].filter((id) => ids.has(id))).toEqual(['d'])
  })
})
