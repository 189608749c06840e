/**
 * The soak (issue 14): the whole system at a steady rate for a long time, sampled every
 * `sampleMs`: each service's resident memory, V8 heap in use and active handles (prom-client's
 * default metrics on every /metrics), CPU seconds, the edge's unsent outbox rows, and the
 * end-to-end latency of the inspections whose final verdict became visible in the gateway in that
 * window (submit → verdict in the gateway's database, polled every 250 ms). At the end the stream
 * stops and the outbox must drain to empty. Handles and latency: first span against last span.
 *
 * Memory: heap used sampled without a GC swings by megabytes with whatever garbage happens to be
 * waiting, so when the system runs with `inspect`, each sample also forces a full GC in every
 * service over its inspector and reads `process.memoryUsage()` after it. The memory verdict is
 * the least-squares slope of that post-GC heap over the window after the warm-up; RSS is reported
 * beside it, not judged (the allocator keeps freed pages). Optionally, heap snapshots at the start
 * and the end of that window, compared by constructor.
 */
import { mkdirSync } from 'node:fs'
import { cpus, freemem, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type ConstructorGrowth, heapGrowth, readHeapSnapshot } from './heap-snapshot.ts'
import { InspectorClient, type MemoryUsage } from './inspector-client.ts'
import { drillLine, type SystemService, systemServices, type TokenlineSystem } from './system.ts'
import { Traffic } from './traffic.ts'
import { VerdictWatcher } from './verdict-watcher.ts'

export type SoakOptions = {
  minutes: number
  /** Inspections per second. */
  rate: number
  sampleMs: number
  drainTimeoutMs: number
  /** Minutes before the memory window starts; capped at half the run. Default 10. */
  warmupMinutes?: number
  /**
   * Heap snapshots of these services at the start and the end of the memory window, written to
   * `dir` (needs a system started with `inspect`). Each pauses its service for the seconds the
   * snapshot takes.
   */
  snapshots?: { dir: string; services: readonly SystemService[] }
  say?: (line: string) => void
}

/**
 * The memory verdict's limit on the post-GC heap slope, MB per hour. Why 2: at 5 inspections/s a
 * service handles 18,000 requests or messages an hour, so 2 MB/h is about 115 bytes kept per
 * request. The least a service can keep per request is about that: the clouds' verdict ledger, a
 * Map of UUID strings (one per verdict, about 100 B each with the Map's table), measured
 * +1.6–1.7 MB/h at about 3.9 verdicts/s in the 40-minute soak, just under the limit; anything that
 * keeps an object or a closure per request (150–300 B and up) goes over it. The noise is far
 * below: post-GC heap wanders by a few hundred kB with the messages in flight, and a 30-minute
 * window of 30 s samples gave a standard error of 0.1 MB/h (the report prints it). A leak below
 * the limit would take weeks to reach V8's default heap limit.
 */
export const heapSlopeLimitMbPerHour = 2

export type ServiceSample = {
  rssMb: number | null
  heapUsedMb: number | null
  activeHandles: number | null
  /** CPU used in the window, per cent of one core. */
  cpuPercent: number | null
  /** `process.memoryUsage()` right after a full GC forced over the inspector, MB; null without one. */
  afterGc: { heapUsedMb: number; heapTotalMb: number; externalMb: number; rssMb: number } | null
}

export type SoakSample = {
  /** Window end, minutes since the stream started. */
  atMin: number
  sent: number
  accepted: number
  refused: number
  unanswered: number
  /** Final verdicts seen in the gateway in this window, and their submit → visible latency (ms). */
  settled: number
  latencyMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null }
  outboxRows: number | null
  services: Record<SystemService, ServiceSample>
}

export type Flatness = { verdict: boolean; line: string }

/** One service's memory over the window after the warm-up (first and last sample in it, fitted slope). */
export type ServiceMemory = {
  heapAfterGcStartMb: number | null
  heapAfterGcEndMb: number | null
  heapAfterGcSlopeMbPerHour: number | null
  /** Standard error of that slope. */
  heapAfterGcSlopeSeMbPerHour: number | null
  rssStartMb: number | null
  rssEndMb: number | null
  rssSlopeMbPerHour: number | null
  externalStartMb: number | null
  externalEndMb: number | null
}

export type HeapComparison = {
  service: SystemService
  before: { atMin: number; file: string; bytes: number; tookMs: number }
  after: { atMin: number; file: string; bytes: number; tookMs: number }
  /** Sum of self sizes after minus before, MB. */
  totalSelfSizeDiffMb: number
  nodeCountDiff: number
  /** Largest self-size growth first (bytes). */
  top: ConstructorGrowth[]
}

export type SoakReport = {
  options: Omit<SoakOptions, 'say'>
  machine: {
    cpus: string
    cores: number
    totalMemGb: number
    freeMemGbAtStart: number
    loadAverageAtStart: number[]
    node: string
  }
  samples: SoakSample[]
  /** Minutes compared at each end for the handles and latency verdicts. */
  spanMin: number
  /** The memory window: from the first sample at or after the warm-up to the last. */
  memoryWindowMin: { from: number; to: number }
  memory: Record<SystemService, ServiceMemory>
  /** Post-GC heap slope of every service within {@link heapSlopeLimitMbPerHour}. */
  memoryFlat: Flatness
  /** RSS over the same window, reported, not judged. */
  rss: { line: string }
  heapComparisons: HeapComparison[]
  handlesFlat: Flatness
  latencyStable: Flatness
  outboxEmptyAtEnd: Flatness
  totals: {
    sent: number
    accepted: number
    refused: number
    unanswered: number
    lost: number
    drainMs: number | null
  }
}

const mb = (bytes: number | null) => (bytes === null ? null : Math.round((bytes / 1024 / 1024) * 10) / 10)

export async function runSoak(system: TokenlineSystem, options: SoakOptions): Promise<SoakReport> {
  const say = options.say ?? (() => undefined)
  const machine = {
    cpus: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    totalMemGb: Math.round(totalmem() / 1024 ** 3),
    freeMemGbAtStart: Math.round(freemem() / 1024 ** 3),
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
  }
  const watcher = new VerdictWatcher(system.options.databaseUrl, () => traffic.now(), 250)
  const traffic: Traffic = new Traffic({
    edgeUrl: system.edgeUrl,
    lineId: drillLine,
    rate: options.rate,
    onAccepted: (a) => watcher.watch(a.inspectionId!, a.sentAt),
  })
  traffic.phase = 'soak'
  const samples: SoakSample[] = []
  const probe = new MemoryProbe(system)
  const warmupMin = Math.min(options.warmupMinutes ?? 10, options.minutes / 2)
  const snapshots = options.snapshots && system.options.inspect ? options.snapshots : undefined
  if (snapshots) mkdirSync(snapshots.dir, { recursive: true })
  const taken: Partial<Record<SystemService, { before?: Snapshot; after?: Snapshot }>> = {}
  const snapshotAll = async (when: 'before' | 'after', atMin: number) => {
    for (const service of snapshots?.services ?? []) {
      const file = join(snapshots!.dir, `${service}-${when === 'before' ? 'start' : 'end'}.heapsnapshot`)
      const started = performance.now()
      const bytes = await probe.snapshot(service, file)
      const tookMs = Math.round(performance.now() - started)
      if (bytes === null) {
        say(`heap snapshot of ${service} failed (no inspector answer)`)
        continue
      }
      taken[service] = { ...taken[service], [when]: { atMin, file, bytes, tookMs } }
      say(`heap snapshot of ${service} at ${atMin.toFixed(2)} min: ${mb(bytes)} MB in ${tookMs} ms → ${file}`)
    }
  }
  let lastCpu = await cpuSeconds(system)
  let windowStart = 0
  watcher.start()
  traffic.start()
  const endAt = options.minutes * 60_000
  try {
    while (traffic.now() < endAt) {
      await sleep(Math.min(options.sampleMs, Math.max(0, endAt - traffic.now())))
      const windowEnd = traffic.now()
      const sample = await takeSample(system, probe, traffic, watcher, windowStart, windowEnd, lastCpu)
      lastCpu = sample.cpu
      samples.push(sample.sample)
      windowStart = windowEnd
      say(formatSoakRow(sample.sample))
      const inWindow = samples.filter((x) => x.atMin >= warmupMin)
      // The start snapshot right after the window's first sample, while the stream runs.
      if (inWindow.length === 1 && traffic.now() < endAt) await snapshotAll('before', sample.sample.atMin)
    }
    // The end snapshot right after the last sample, still under the same stream.
    if (Object.keys(taken).length > 0) await snapshotAll('after', samples.at(-1)!.atMin)
  } finally {
    await traffic.stop()
  }
  say('stream stopped; waiting for the outbox to drain and the last verdicts to reach the gateway')
  const stoppedAt = traffic.now()
  const accepted = traffic.attempts.filter((a) => a.outcome === 'accepted').map((a) => a.inspectionId!)
  let drainMs: number | null = null
  let outboxAtEnd: number | null = null
  const deadline = Date.now() + options.drainTimeoutMs
  while (Date.now() < deadline) {
    outboxAtEnd = await system.edgeHealth().then(
      (h) => h.outbox.rows,
      () => null,
    )
    if (outboxAtEnd === 0 && watcher.allSettled(accepted)) {
      drainMs = traffic.now() - stoppedAt
      break
    }
    await sleep(500)
  }
  await watcher.close()
  await probe.close()

  const heapComparisons: HeapComparison[] = []
  for (const [service, pair] of Object.entries(taken) as [
    SystemService,
    { before?: Snapshot; after?: Snapshot },
  ][]) {
    if (!pair.before || !pair.after) continue
    const before = readHeapSnapshot(pair.before.file)
    const after = readHeapSnapshot(pair.after.file)
    heapComparisons.push({
      service,
      before: pair.before,
      after: pair.after,
      totalSelfSizeDiffMb: mb(after.totalSelfSize - before.totalSelfSize)!,
      nodeCountDiff: after.nodeCount - before.nodeCount,
      top: heapGrowth(before, after, 15),
    })
  }

  const memoryWindow = samples.filter((s) => s.atMin >= warmupMin)
  // A heap snapshot leaves the process 60–140 MB more resident (measured in the 40-minute soak):
  // RSS is fitted from the first sample after the start snapshot, the heap from the window's start.
  const rssWindow = heapComparisons.length > 0 ? memoryWindow.slice(1) : memoryWindow
  const memory = Object.fromEntries(
    systemServices.map((service) => [service, serviceMemory(memoryWindow, rssWindow, service)]),
  ) as Record<SystemService, ServiceMemory>

  const span = Math.min(5, options.minutes / 3)
  // Whole samples at each end (at least one): a time filter on rounded sample times can miss the first.
  const perSpan = Math.max(1, Math.round((span * 60_000) / options.sampleMs))
  const first = samples.slice(0, perSpan)
  const last = samples.slice(-perSpan)
  const sent = traffic.attempts.length
  const count = (outcome: string) => traffic.attempts.filter((a) => a.outcome === outcome).length
  return {
    options: {
      minutes: options.minutes,
      rate: options.rate,
      sampleMs: options.sampleMs,
      drainTimeoutMs: options.drainTimeoutMs,
    },
    machine,
    samples,
    spanMin: span,
    memoryWindowMin: {
      from: memoryWindow[0]?.atMin ?? warmupMin,
      to: memoryWindow.at(-1)?.atMin ?? warmupMin,
    },
    memory,
    memoryFlat: memoryFlat(memory, memoryWindow),
    rss: { line: rssLine(memory, rssWindow) },
    heapComparisons,
    handlesFlat: flat(
      'handles flat',
      'handles',
      first,
      last,
      (s, svc) => s.services[svc].activeHandles,
      (a) => Math.max(0.1 * a, 5),
    ),
    latencyStable: latencyStable(first, last),
    outboxEmptyAtEnd: {
      verdict: outboxAtEnd === 0,
      line: `outbox empty at the end: ${outboxAtEnd === 0 ? 'yes' : 'no'} (${outboxAtEnd ?? '?'} unsent rows${drainMs === null ? `, not drained within ${options.drainTimeoutMs} ms` : `, drained ${Math.round(drainMs)} ms after the stream stopped`})`,
    },
    totals: {
      sent,
      accepted: count('accepted'),
      refused: count('refused'),
      unanswered: sent - count('accepted') - count('refused'),
      lost: accepted.filter((id) => !watcher.settled.has(id)).length,
      drainMs,
    },
  }
}

type Cpu = Partial<Record<SystemService, { seconds: number; at: number }>>

type Snapshot = HeapComparison['before']

/** Inspector connections to the services, opened on first use and again after a restart. */
class MemoryProbe {
  private readonly clients = new Map<SystemService, { url: string; client: InspectorClient }>()

  constructor(private readonly system: TokenlineSystem) {}

  async afterGc(service: SystemService): Promise<MemoryUsage | null> {
    const client = await this.client(service)
    return client ? client.memoryAfterGc().catch(() => null) : null
  }

  async snapshot(service: SystemService, file: string): Promise<number | null> {
    const client = await this.client(service)
    return client ? client.takeHeapSnapshot(file).catch(() => null) : null
  }

  /** Detaches from every service: a process with a debugger attached waits for it at exit. */
  async close(): Promise<void> {
    for (const { client } of this.clients.values()) await client.close()
    this.clients.clear()
  }

  private async client(service: SystemService): Promise<InspectorClient | null> {
    const url = this.system.inspectorUrl(service)
    if (!url) return null
    const known = this.clients.get(service)
    if (known && known.url === url && known.client.isOpen) return known.client
    await known?.client.close()
    try {
      const client = await InspectorClient.connect(url)
      this.clients.set(service, { url, client })
      return client
    } catch {
      this.clients.delete(service)
      return null
    }
  }
}

async function takeSample(
  system: TokenlineSystem,
  probe: MemoryProbe,
  traffic: Traffic,
  watcher: VerdictWatcher,
  from: number,
  to: number,
  lastCpu: Cpu,
): Promise<{ sample: SoakSample; cpu: Cpu }> {
  const inWindow = traffic.attempts.filter((a) => a.sentAt > from && a.sentAt <= to)
  const latencies = [...watcher.settled.values()]
    .filter((s) => s.seenAt > from && s.seenAt <= to)
    .map((s) => s.latencyMs)
    .sort((a, b) => a - b)
  const cpu: Cpu = {}
  const services = {} as Record<SystemService, ServiceSample>
  for (const service of systemServices) {
    const metrics = await scrape(system, service)
    const seconds = metric(metrics, service, 'process_cpu_seconds_total')
    const now = performance.now()
    const before = lastCpu[service]
    if (seconds !== null) cpu[service] = { seconds, at: now }
    const usage = await probe.afterGc(service)
    services[service] = {
      rssMb: mb(metric(metrics, service, 'process_resident_memory_bytes')),
      heapUsedMb: mb(metric(metrics, service, 'nodejs_heap_size_used_bytes')),
      activeHandles: metric(metrics, service, 'nodejs_active_handles_total'),
      cpuPercent:
        seconds !== null && before && seconds >= before.seconds
          ? Math.round(((seconds - before.seconds) / ((now - before.at) / 1000)) * 1000) / 10
          : null,
      afterGc: usage && {
        heapUsedMb: mb(usage.heapUsed)!,
        heapTotalMb: mb(usage.heapTotal)!,
        externalMb: mb(usage.external)!,
        rssMb: mb(usage.rss)!,
      },
    }
  }
  const outboxRows = await system.edgeHealth().then(
    (h) => h.outbox.rows,
    () => null,
  )
  const accepted = inWindow.filter((a) => a.outcome === 'accepted').length
  const refused = inWindow.filter((a) => a.outcome === 'refused').length
  return {
    cpu,
    sample: {
      atMin: Math.round((to / 60_000) * 100) / 100,
      sent: inWindow.length,
      accepted,
      refused,
      unanswered: inWindow.filter((a) => a.outcome === 'unreachable').length,
      settled: latencies.length,
      latencyMs: {
        p50: percentile(latencies, 0.5),
        p95: percentile(latencies, 0.95),
        p99: percentile(latencies, 0.99),
        max: latencies.length > 0 ? Math.round(latencies[latencies.length - 1]!) : null,
      },
      outboxRows,
      services,
    },
  }
}

async function cpuSeconds(system: TokenlineSystem): Promise<Cpu> {
  const cpu: Cpu = {}
  for (const service of systemServices) {
    const seconds = metric(await scrape(system, service), service, 'process_cpu_seconds_total')
    if (seconds !== null) cpu[service] = { seconds, at: performance.now() }
  }
  return cpu
}

async function scrape(system: TokenlineSystem, service: SystemService): Promise<string> {
  try {
    const res = await fetch(`${system.httpUrl(service)}/metrics`, { signal: AbortSignal.timeout(10_000) })
    return await res.text()
  } catch {
    return ''
  }
}

/** A default prom-client metric of a service (`tokenline_<service>_<name>`), unlabelled. */
function metric(text: string, service: SystemService, name: string): number | null {
  const prefix = `tokenline_${service.startsWith('cloud') ? 'cloud' : service}_`
  const match = new RegExp(`^${prefix}${name} ([0-9.eE+-]+)$`, 'm').exec(text)
  return match ? Number(match[1]) : null
}

function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!)
}

const mean = (values: (number | null)[]) => {
  const known = values.filter((v): v is number => v !== null)
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0) / known.length
}

/** Least-squares slope of `points` (x in hours), with its standard error; null below 3 points. */
export function slope(points: { x: number; y: number }[]): { slope: number; se: number } | null {
  const n = points.length
  if (n < 3) return null
  const mx = points.reduce((a, p) => a + p.x, 0) / n
  const my = points.reduce((a, p) => a + p.y, 0) / n
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0)
  if (sxx === 0) return null
  const b = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx
  const residual = points.reduce((a, p) => a + (p.y - my - b * (p.x - mx)) ** 2, 0)
  return { slope: b, se: Math.sqrt(residual / (n - 2) / sxx) }
}

const round1 = (v: number | null | undefined) => (v == null ? null : Math.round(v * 10) / 10)

function serviceMemory(window: SoakSample[], rssWindow: SoakSample[], service: SystemService): ServiceMemory {
  const series = (value: (s: ServiceSample) => number | null | undefined, samples = window) =>
    samples
      .map((s) => ({ x: s.atMin / 60, y: value(s.services[service]) }))
      .filter((p): p is { x: number; y: number } => p.y != null)
  const heap = series((s) => s.afterGc?.heapUsedMb)
  // RSS after the GC when the inspector answered (less noise), else prom-client's.
  const rss = series((s) => s.afterGc?.rssMb ?? s.rssMb, rssWindow)
  const external = series((s) => s.afterGc?.externalMb)
  const heapFit = slope(heap)
  return {
    heapAfterGcStartMb: heap[0]?.y ?? null,
    heapAfterGcEndMb: heap.at(-1)?.y ?? null,
    heapAfterGcSlopeMbPerHour: round1(heapFit?.slope),
    heapAfterGcSlopeSeMbPerHour: round1(heapFit?.se),
    rssStartMb: rss[0]?.y ?? null,
    rssEndMb: rss.at(-1)?.y ?? null,
    rssSlopeMbPerHour: round1(slope(rss)?.slope),
    externalStartMb: external[0]?.y ?? null,
    externalEndMb: external.at(-1)?.y ?? null,
  }
}

const windowText = (window: SoakSample[]) =>
  window.length === 0
    ? 'no samples after the warm-up'
    : `minutes ${window[0]!.atMin.toFixed(1)}–${window.at(-1)!.atMin.toFixed(1)}, ${window.length} samples`

/** Flat when every service's post-GC heap slope is known and at most {@link heapSlopeLimitMbPerHour}. */
function memoryFlat(memory: Record<SystemService, ServiceMemory>, window: SoakSample[]): Flatness {
  let verdict = true
  const parts = systemServices.map((service) => {
    const m = memory[service]
    if (m.heapAfterGcSlopeMbPerHour === null) {
      verdict = false
      return `${service} ?`
    }
    if (m.heapAfterGcSlopeMbPerHour > heapSlopeLimitMbPerHour) verdict = false
    const sign = m.heapAfterGcSlopeMbPerHour >= 0 ? '+' : ''
    return `${service} ${m.heapAfterGcStartMb}→${m.heapAfterGcEndMb} (${sign}${m.heapAfterGcSlopeMbPerHour} ± ${m.heapAfterGcSlopeSeMbPerHour})`
  })
  return {
    verdict,
    line: `memory flat: ${verdict ? 'yes' : 'no'} (post-GC heap used, ${windowText(window)}, MB and slope MB/h, limit ${heapSlopeLimitMbPerHour}: ${parts.join(', ')})`,
  }
}

function rssLine(memory: Record<SystemService, ServiceMemory>, window: SoakSample[]): string {
  const parts = systemServices.map((service) => {
    const m = memory[service]
    if (m.rssSlopeMbPerHour === null) return `${service} ?`
    const sign = m.rssSlopeMbPerHour >= 0 ? '+' : ''
    return `${service} ${m.rssStartMb?.toFixed(0)}→${m.rssEndMb?.toFixed(0)} (${sign}${m.rssSlopeMbPerHour})`
  })
  return `rss, not judged: ${windowText(window)}, MB and slope MB/h: ${parts.join(', ')}`
}

/** Top growing constructors of each compared snapshot pair, a line each. */
export function formatHeapComparisons(comparisons: HeapComparison[]): string[] {
  const lines: string[] = []
  for (const c of comparisons) {
    lines.push(
      `heap snapshots of ${c.service}, ${c.before.atMin.toFixed(1)} → ${c.after.atMin.toFixed(1)} min: ` +
        `self size ${c.totalSelfSizeDiffMb >= 0 ? '+' : ''}${c.totalSelfSizeDiffMb} MB, ${c.nodeCountDiff >= 0 ? '+' : ''}${c.nodeCountDiff} objects; top growth by constructor:`,
    )
    for (const g of c.top)
      lines.push(
        `  ${g.name.slice(0, 60).padEnd(60)} ${`${g.countBefore}→${g.countAfter}`.padStart(17)} ${`${g.countDiff >= 0 ? '+' : ''}${g.countDiff}`.padStart(8)} ${`${g.selfSizeDiff >= 0 ? '+' : ''}${(g.selfSizeDiff / 1024).toFixed(1)} kB`.padStart(12)}`,
      )
  }
  return lines
}

/** Per service: mean over the first span against the last; flat when the growth stays within `allowed(first)`. */
function flat(
  what: string,
  unit: string,
  first: SoakSample[],
  last: SoakSample[],
  value: (s: SoakSample, service: SystemService) => number | null,
  allowed: (first: number) => number,
): Flatness {
  let verdict = true
  const parts = systemServices.map((service) => {
    const a = mean(first.map((s) => value(s, service)))
    const b = mean(last.map((s) => value(s, service)))
    if (a === null || b === null) {
      verdict = false
      return `${service} ?`
    }
    if (b - a > allowed(a)) verdict = false
    return `${service} ${a.toFixed(0)}→${b.toFixed(0)}`
  })
  return {
    verdict,
    line: `${what}: ${verdict ? 'yes' : 'no'} (first vs last span, ${unit}: ${parts.join(', ')})`,
  }
}

/** Stable when the last span's p50 and p99 are within 1.5× the first span's plus 500 ms (two poll periods). */
function latencyStable(first: SoakSample[], last: SoakSample[]): Flatness {
  const p = (samples: SoakSample[], key: 'p50' | 'p99') => mean(samples.map((s) => s.latencyMs[key]))
  const f50 = p(first, 'p50')
  const l50 = p(last, 'p50')
  const f99 = p(first, 'p99')
  const l99 = p(last, 'p99')
  const ok = (a: number | null, b: number | null) => a !== null && b !== null && b <= 1.5 * a + 500
  const verdict = ok(f50, l50) && ok(f99, l99)
  const fmt = (v: number | null) => (v === null ? '?' : v.toFixed(0))
  return {
    verdict,
    line: `latency stable: ${verdict ? 'yes' : 'no'} (first vs last span, mean of window p50 ${fmt(f50)}→${fmt(l50)} ms, p99 ${fmt(f99)}→${fmt(l99)} ms)`,
  }
}

export function formatSoakHeader(): string {
  const services = systemServices.map((s) => `${s} rss/heap/h/cpu%`.padStart(24)).join(' ')
  return `${'min'.padStart(6)} ${'acc'.padStart(5)} ${'ref'.padStart(4)} ${'p50'.padStart(6)} ${'p95'.padStart(6)} ${'p99'.padStart(6)} ${'outbox'.padStart(6)} ${services}`
}

export function formatSoakRow(s: SoakSample): string {
  const n = (v: number | null, w: number) => (v === null ? '?' : String(Math.round(v))).padStart(w)
  const services = systemServices
    .map((svc) => {
      const x = s.services[svc]
      return `${x.rssMb ?? '?'}/${x.afterGc?.heapUsedMb ?? '?'}/${x.activeHandles ?? '?'}/${x.cpuPercent ?? '?'}`.padStart(
        24,
      )
    })
    .join(' ')
  return `${s.atMin.toFixed(2).padStart(6)} ${n(s.accepted, 5)} ${n(s.refused, 4)} ${n(s.latencyMs.p50, 6)} ${n(s.latencyMs.p95, 6)} ${n(s.latencyMs.p99, 6)} ${n(s.outboxRows, 6)} ${services}`
}
