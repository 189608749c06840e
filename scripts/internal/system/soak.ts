/**
 * The soak (issue 14): the whole system at a steady rate for a long time, sampled every
 * `sampleMs`: each service's resident memory, V8 heap in use and active handles (prom-client's
 * default metrics on every /metrics), CPU seconds, the edge's unsent outbox rows, and the
 * end-to-end latency of the inspections whose final verdict became visible in the gateway in that
 * window (submit → verdict in the gateway's database, polled every 250 ms). At the end the stream
 * stops and the outbox must drain to empty. Flatness is computed, first span against last span.
 */
import { cpus, freemem, loadavg, totalmem } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { drillLine, type SystemService, systemServices, type TokenlineSystem } from './system.ts'
import { Traffic } from './traffic.ts'
import { VerdictWatcher } from './verdict-watcher.ts'

export type SoakOptions = {
  minutes: number
  /** Inspections per second. */
  rate: number
  sampleMs: number
  drainTimeoutMs: number
  say?: (line: string) => void
}

export type ServiceSample = {
  rssMb: number | null
  heapUsedMb: number | null
  activeHandles: number | null
  /** CPU used in the window, per cent of one core. */
  cpuPercent: number | null
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
  /** Minutes compared at each end for the flatness verdicts. */
  spanMin: number
  memoryFlat: Flatness
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
  let lastCpu = await cpuSeconds(system)
  let windowStart = 0
  watcher.start()
  traffic.start()
  const endAt = options.minutes * 60_000
  try {
    while (traffic.now() < endAt) {
      await sleep(Math.min(options.sampleMs, Math.max(0, endAt - traffic.now())))
      const windowEnd = traffic.now()
      const sample = await takeSample(system, traffic, watcher, windowStart, windowEnd, lastCpu)
      lastCpu = sample.cpu
      samples.push(sample.sample)
      windowStart = windowEnd
      say(formatSoakRow(sample.sample))
    }
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
    memoryFlat: flat(
      'memory flat',
      'MB',
      first,
      last,
      (s, svc) => s.services[svc].rssMb,
      (a) => Math.max(0.1 * a, 16),
    ),
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

async function takeSample(
  system: TokenlineSystem,
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
    services[service] = {
      rssMb: mb(metric(metrics, service, 'process_resident_memory_bytes')),
      heapUsedMb: mb(metric(metrics, service, 'nodejs_heap_size_used_bytes')),
      activeHandles: metric(metrics, service, 'nodejs_active_handles_total'),
      cpuPercent:
        seconds !== null && before && seconds >= before.seconds
          ? Math.round(((seconds - before.seconds) / ((now - before.at) / 1000)) * 1000) / 10
          : null,
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
  const services = systemServices.map((s) => `${s} MB/h/cpu%`.padStart(20)).join(' ')
  return `${'min'.padStart(6)} ${'acc'.padStart(5)} ${'ref'.padStart(4)} ${'p50'.padStart(6)} ${'p95'.padStart(6)} ${'p99'.padStart(6)} ${'outbox'.padStart(6)} ${services}`
}

export function formatSoakRow(s: SoakSample): string {
  const n = (v: number | null, w: number) => (v === null ? '?' : String(Math.round(v))).padStart(w)
  const services = systemServices
    .map((svc) => {
      const x = s.services[svc]
      return `${x.rssMb ?? '?'}/${x.activeHandles ?? '?'}/${x.cpuPercent ?? '?'}`.padStart(20)
    })
    .join(' ')
  return `${s.atMin.toFixed(2).padStart(6)} ${n(s.accepted, 5)} ${n(s.refused, 4)} ${n(s.latencyMs.p50, 6)} ${n(s.latencyMs.p95, 6)} ${n(s.latencyMs.p99, 6)} ${n(s.outboxRows, 6)} ${services}`
}
