/**
 * The soak's heap-snapshot reader on real snapshots: a child Node process allocates a known
 * number of instances of a named class, writes a snapshot with node:v8's writeHeapSnapshot,
 * allocates more and writes another.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type HeapSummary,
  heapGrowth,
  readHeapSnapshot,
} from '../../../../../scripts/internal/system/heap-snapshot.ts'

let dir: string
let before: HeapSummary
let after: HeapSummary

// 1,234 instances, then 766 more (2,000 in all), kept reachable from a global array.
const program = `
const { writeHeapSnapshot } = require('node:v8')
class SoakProbeWidget { constructor(i) { this.i = i; this.label = 'w' + i } }
globalThis.kept = []
for (let i = 0; i < 1234; i++) kept.push(new SoakProbeWidget(i))
writeHeapSnapshot(process.argv[1])
for (let i = 1234; i < 2000; i++) kept.push(new SoakProbeWidget(i))
writeHeapSnapshot(process.argv[2])
`

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tokenline-heap-'))
  const [a, b] = [join(dir, 'before.heapsnapshot'), join(dir, 'after.heapsnapshot')]
  execFileSync(process.execPath, ['-e', program, a, b], { stdio: 'ignore', timeout: 60_000 })
  before = readHeapSnapshot(a)
  after = readHeapSnapshot(b)
}, 60_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('readHeapSnapshot', () => {
  it('counts the instances of a class by its constructor name, with their self size', () => {
    const widgets = before.byConstructor.get('SoakProbeWidget')
    expect(widgets?.count).toBe(1234)
    // Each instance has a header and two in-object fields: tens of bytes, never zero.
    expect(widgets!.selfSize).toBeGreaterThanOrEqual(1234 * 16)
    expect(widgets!.selfSize).toBeLessThan(1234 * 200)
    expect(after.byConstructor.get('SoakProbeWidget')?.count).toBe(2000)
  })

  it('adds every node up: node count and total self size match the groups', () => {
    const groups = [...before.byConstructor.values()]
    expect(groups.reduce((a, g) => a + g.count, 0)).toBe(before.nodeCount)
    expect(groups.reduce((a, g) => a + g.selfSize, 0)).toBe(before.totalSelfSize)
    // Non-object nodes are grouped by type, as DevTools' Summary does.
    expect(before.byConstructor.has('(string)')).toBe(true)
    expect(before.byConstructor.has('(closure)')).toBe(true)
  })
})

describe('heapGrowth', () => {
  it('puts the class that grew among the top rows with its count and size difference', () => {
    const rows = heapGrowth(before, after, 15)
    const widgets = rows.find((r) => r.name === 'SoakProbeWidget')
    expect(widgets).toMatchObject({ countBefore: 1234, countAfter: 2000, countDiff: 766 })
    const perInstance = before.byConstructor.get('SoakProbeWidget')!.selfSize / 1234
    expect(widgets!.selfSizeDiff).toBe(Math.round(766 * perInstance))
    expect(rows.length).toBeLessThanOrEqual(15)
    for (let i = 1; i < rows.length; i++)
      expect(rows[i]!.selfSizeDiff).toBeLessThanOrEqual(rows[i - 1]!.selfSizeDiff)
  })

  it('leaves out what did not grow', () => {
    const same = heapGrowth(before, before, 15)
    expect(same).toEqual([])
  })
})
