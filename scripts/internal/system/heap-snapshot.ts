/**
 * Reads a V8 `.heapsnapshot` (the JSON that DevTools and `v8.writeHeapSnapshot` write) into
 * counts and self sizes per constructor, and compares two of them: what the soak reports for a
 * process whose heap grows. Format: `snapshot.meta.node_fields` names the fields of each node in
 * the flat `nodes` array (type, name, id, self_size, edge_count, …); `type` indexes
 * `meta.node_types[0]`, `name` indexes `strings`.
 */
import { readFileSync } from 'node:fs'

export type ConstructorTotals = { count: number; selfSize: number }

export type HeapSummary = {
  nodeCount: number
  /** Sum of every node's self size, bytes. */
  totalSelfSize: number
  byConstructor: Map<string, ConstructorTotals>
}

export type ConstructorGrowth = {
  name: string
  countBefore: number
  countAfter: number
  countDiff: number
  /** Bytes. */
  selfSizeDiff: number
}

type SnapshotJson = {
  snapshot: { meta: { node_fields: string[]; node_types: unknown[] }; node_count?: number }
  nodes: number[]
  strings: string[]
}

/**
 * The group DevTools' Summary view puts a node in: objects and native objects by their
 * constructor name, everything else (closures, strings, arrays, code, hidden, numbers) by type.
 */
function groupName(type: string, name: string): string {
  return type === 'object' || type === 'native' ? name : `(${type})`
}

export function summarizeHeapSnapshot(json: SnapshotJson): HeapSummary {
  const fields = json.snapshot.meta.node_fields
  const width = fields.length
  const typeAt = fields.indexOf('type')
  const nameAt = fields.indexOf('name')
  const sizeAt = fields.indexOf('self_size')
  if (typeAt < 0 || nameAt < 0 || sizeAt < 0)
    throw new Error(`heap snapshot: node_fields ${JSON.stringify(fields)} lack type, name or self_size`)
  const types = json.snapshot.meta.node_types[0]
  if (!Array.isArray(types)) throw new Error('heap snapshot: meta.node_types[0] is not a list of type names')
  const { nodes, strings } = json
  if (nodes.length % width !== 0)
    throw new Error(`heap snapshot: ${nodes.length} node values is not a multiple of ${width} fields`)
  const byConstructor = new Map<string, ConstructorTotals>()
  let totalSelfSize = 0
  for (let i = 0; i < nodes.length; i += width) {
    const type = String(types[nodes[i + typeAt]!])
    const name = groupName(type, strings[nodes[i + nameAt]!] ?? '?')
    const size = nodes[i + sizeAt]!
    totalSelfSize += size
    const totals = byConstructor.get(name)
    if (totals) {
      totals.count++
      totals.selfSize += size
    } else byConstructor.set(name, { count: 1, selfSize: size })
  }
  return { nodeCount: nodes.length / width, totalSelfSize, byConstructor }
}

export function readHeapSnapshot(path: string): HeapSummary {
  return summarizeHeapSnapshot(JSON.parse(readFileSync(path, 'utf8')) as SnapshotJson)
}

/** Constructors that grew from `before` to `after` (size or count), largest self-size growth first. */
export function heapGrowth(before: HeapSummary, after: HeapSummary, top = 15): ConstructorGrowth[] {
  const names = new Set([...before.byConstructor.keys(), ...after.byConstructor.keys()])
  const rows: ConstructorGrowth[] = []
  for (const name of names) {
    const a = before.byConstructor.get(name) ?? { count: 0, selfSize: 0 }
    const b = after.byConstructor.get(name) ?? { count: 0, selfSize: 0 }
    rows.push({
      name,
      countBefore: a.count,
      countAfter: b.count,
      countDiff: b.count - a.count,
      selfSizeDiff: b.selfSize - a.selfSize,
    })
  }
  return rows
    .filter((r) => r.selfSizeDiff > 0 || r.countDiff > 0)
    .sort((x, y) => y.selfSizeDiff - x.selfSizeDiff || y.countDiff - x.countDiff)
    .slice(0, top)
}
