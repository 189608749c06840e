/**
 * The whole-system fault drill (issue 14): under a steady stream of inspections, one fault at a
 * time with recovery between: kill -9 the broker, a cloud instance, the edge, the gateway; cut
 * the edge off the broker; fill the edge's outbox. Then every inspection the edge accepted must
 * have exactly one final result in the gateway's database. Used by `npm run drill` (faults
 * lasting minutes) and by the e2e test (seconds).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { type AuditReport, audit, type PhaseCounts } from './audit.ts'
import { drillLine, type TokenlineSystem } from './system.ts'
import { type Attempt, Traffic } from './traffic.ts'
import { VerdictWatcher } from './verdict-watcher.ts'

export type DrillOptions = {
  /** Inspections per second throughout. */
  rate: number
  /** Steady traffic before each fault (ms). */
  steadyMs: number
  /** How long a killed broker, cloud instance or gateway stays down before it is started again (ms). */
  downMs: number
  /** How long the edge is cut off the broker (ms); the issue asks for minutes. */
  cutMs: number
  /** EDGE_OUTBOX_MAX_ROWS for the outbox phase: small, so it fills while the link is cut. */
  outboxMaxRows: number
  /** In the outbox phase, keep the link cut until this many inspections were refused EDGE_OUTBOX_FULL. */
  outboxRefusals: number
  /** Longest wait for one phase's inspections to reach the gateway after its fault ends (ms). */
  recoveryTimeoutMs: number
  /** Progress lines. */
  say?: (line: string) => void
}

/** What one phase did to the system and how long it took to recover. */
export type PhaseRun = {
  name: string
  fault: string
  /** The edge process itself is stopped in this phase, so unanswered POSTs are expected. */
  edgeDown: boolean
  startedAt: number
  faultEndedAt: number
  /** Fault end → every inspection accepted before it has a final verdict in the gateway (ms). */
  recoveryMs: number | null
}

export type DrillReport = {
  options: Omit<DrillOptions, 'say'>
  phases: PhaseRun[]
  audit: AuditReport
  /** Checks, each true when it holds; `passed` is their conjunction. */
  checks: Record<string, boolean>
  passed: boolean
  unexpectedExits: string[]
  /** What the drill saw that is not counted as a failed check (an unclean shutdown), for the report. */
  findings: string[]
  proxyRefusedConnections: number
  outboxRowsAtEnd: number
  attempts: Attempt[]
}

type Phase = { name: string; fault: string; edgeDown: boolean; run: () => Promise<void> }

export async function runDrill(system: TokenlineSystem, options: DrillOptions): Promise<DrillReport> {
  const say = options.say ?? (() => undefined)
  const watcher = new VerdictWatcher(system.options.databaseUrl, () => traffic.now())
  const traffic: Traffic = new Traffic({
    edgeUrl: system.edgeUrl,
    lineId: drillLine,
    rate: options.rate,
    onAccepted: (a) => watcher.watch(a.inspectionId!, a.sentAt),
  })
  const findings: string[] = []
  const refusedFull = () =>
    traffic.attempts.filter((a) => a.phase === 'outbox full' && a.code === 'EDGE_OUTBOX_FULL').length

  const phases: Phase[] = [
    { name: 'steady', fault: 'none', edgeDown: false, run: async () => undefined },
    {
      name: 'broker kill -9',
      fault: `SIGKILL the broker, restart it on the same log after ${options.downMs} ms`,
      edgeDown: false,
      run: async () => {
        await system.kill('broker')
        await sleep(options.downMs)
        await system.startService('broker')
      },
    },
    {
      name: 'cloud kill -9',
      fault: `SIGKILL cloud-b (cloud-a takes its partitions), restart it after ${options.downMs} ms`,
      edgeDown: false,
      run: async () => {
        await system.kill('cloud-b')
        await sleep(options.downMs)
        await system.startService('cloud-b')
      },
    },
    {
      name: 'edge kill -9',
      fault: 'SIGKILL the edge, restart it at once on the same data folder and outbox',
      edgeDown: true,
      run: async () => {
        await system.kill('edge')
        await system.startService('edge')
      },
    },
    {
      name: 'gateway kill -9',
      fault: `SIGKILL the gateway, restart it after ${options.downMs} ms`,
      edgeDown: false,
      run: async () => {
        await system.kill('gateway')
        await sleep(options.downMs)
        await system.startService('gateway')
      },
    },
    {
      name: 'edge cut off',
      fault: `the edge's Kafka connections refused for ${options.cutMs} ms, the edge deciding alone`,
      edgeDown: false,
      run: async () => {
        system.proxy.cut('tokenline-edge-')
        await sleep(options.cutMs)
        system.proxy.restore()
      },
    },
    {
      name: 'outbox full',
      fault: `link cut, edge restarted with EDGE_OUTBOX_MAX_ROWS=${options.outboxMaxRows}, cut kept until ${options.outboxRefusals} EDGE_OUTBOX_FULL refusals, then reconnected to drain`,
      edgeDown: true,
      run: async () => {
        system.proxy.cut('tokenline-edge-')
        await system.stop('edge').catch((err: Error) => {
          // The process is gone either way (killed when it overstays); an unclean stop is a finding, not a fault of the drill.
          findings.push(`edge stopped with SIGTERM while cut off the broker: ${err.message.split('\n')[0]}`)
        })
        system.edgeEnv = { EDGE_OUTBOX_MAX_ROWS: String(options.outboxMaxRows) }
        await system.startService('edge')
        const deadline = Date.now() + Math.max(60_000, options.cutMs)
        while (refusedFull() < options.outboxRefusals && Date.now() < deadline) await sleep(200)
        system.proxy.restore()
      },
    },
  ]

  const runs: PhaseRun[] = []
  // About two seconds of records (a result, and an escalation for some) in flight.
  const slack = Math.max(4, Math.ceil(4 * options.rate))
  traffic.phase = phases[0]!.name
  watcher.start()
  traffic.start()
  try {
    for (const phase of phases) {
      traffic.phase = phase.name
      const startedAt = traffic.now()
      say(`${phase.name}: ${options.steadyMs} ms steady, then ${phase.fault}`)
      await sleep(options.steadyMs)
      await phase.run()
      const faultEndedAt = traffic.now()
      const recoveryMs = await recovery(
        system,
        traffic,
        watcher,
        faultEndedAt,
        options.recoveryTimeoutMs,
        slack,
      )
      runs.push({
        name: phase.name,
        fault: phase.fault,
        edgeDown: phase.edgeDown,
        startedAt,
        faultEndedAt,
        recoveryMs,
      })
      say(
        `${phase.name}: ${recoveryMs === null ? `NOT recovered within ${options.recoveryTimeoutMs} ms` : `recovered ${Math.round(recoveryMs)} ms after the fault ended`}`,
      )
    }
  } finally {
    await traffic.stop()
  }
  say('stream stopped; waiting for the last inspections to reach the gateway')
  await recovery(system, traffic, watcher, traffic.now(), options.recoveryTimeoutMs, 0)
  await watcher.close()
  const outboxRowsAtEnd = (await system.edgeHealth()).outbox.rows

  const report = await audit({
    attempts: traffic.attempts,
    databaseUrl: system.options.databaseUrl,
    kafkaBrokers: system.kafkaBrokers,
    lineId: drillLine,
  })
  const byName = new Map(report.phases.map((p) => [p.phase, p]))
  const edgeUpPhases = runs.filter((r) => !r.edgeDown).map((r) => byName.get(r.name))
  // Backpressure (EDGE_QUEUE_FULL, 429) is an answer a busy edge may give in any phase; EDGE_OUTBOX_FULL only where the outbox is filled.
  const allowed = (phase: string, code: string) =>
    code === 'EDGE_QUEUE_FULL' || (phase === 'outbox full' && code === 'EDGE_OUTBOX_FULL')
  const checks = {
    'every accepted inspection has a final row (none lost)': report.totals.lost === 0,
    'one row and at most one cloud verdict per inspection (none duplicated)': report.totals.duplicates === 0,
    'every escalation answered by the cloud': report.totals.escalationsUnanswered === 0,
    'the edge accepted inspections in every phase': runs.every(
      (r) => (byName.get(r.name)?.accepted ?? 0) > 0,
    ),
    'no connection to the edge refused or reset outside its own restarts': edgeUpPhases.every(
      (p) => p !== undefined && p.unreachable === 0,
    ),
    'refusals only EDGE_QUEUE_FULL (backpressure) or EDGE_OUTBOX_FULL in the outbox phase':
      report.phases.every((p) => Object.keys(p.refused).every((code) => allowed(p.phase, code))),
    'the outbox filled (EDGE_OUTBOX_FULL answered)':
      (byName.get('outbox full')?.refused.EDGE_OUTBOX_FULL ?? 0) > 0,
    'every phase recovered': runs.every((r) => r.recoveryMs !== null),
    'no service died by itself': system.unexpectedExits.length === 0,
    'the outbox is empty at the end': outboxRowsAtEnd === 0,
  }
  const { say: _say, ...rest } = options
  return {
    options: rest,
    phases: runs,
    audit: report,
    checks,
    passed: Object.values(checks).every(Boolean),
    unexpectedExits: [...system.unexpectedExits],
    findings,
    proxyRefusedConnections: system.proxy.refused,
    outboxRowsAtEnd,
    attempts: traffic.attempts,
  }
}

/**
 * Waits until every inspection accepted before `until` (traffic clock) has its final verdict in
 * the gateway and the edge's outbox is empty; the ms that took, or null past `timeoutMs`.
 */
async function recovery(
  system: TokenlineSystem,
  traffic: Traffic,
  watcher: VerdictWatcher,
  until: number,
  timeoutMs: number,
  /** Unsent outbox rows still counted as drained: under a steady stream a few are always on their way. */
  outboxSlack: number,
): Promise<number | null> {
  const deadline = Date.now() + timeoutMs
  const owed = () =>
    traffic.attempts
      .filter((a) => a.outcome === 'accepted' && (a.answeredAt ?? 0) <= until)
      .map((a) => a.inspectionId!)
  while (Date.now() < deadline) {
    if (watcher.allSettled(owed())) {
      const outbox = await system.edgeHealth().then(
        (h) => h.outbox.rows,
        () => Number.POSITIVE_INFINITY,
      )
      if (outbox <= outboxSlack) return traffic.now() - until
    }
    await sleep(250)
  }
  return null
}

/** The per-phase counts as a plain-text table. */
export function formatDrillTable(report: DrillReport): string[] {
  const header = [
    'phase',
    'sent',
    'accepted',
    'refused',
    'refused conn',
    'timeout',
    'escalated',
    'by cloud',
    'by edge',
    'final rows',
    'dup',
    'result again',
    'lost',
    'recovery s',
  ]
  const recoveries = new Map(report.phases.map((p) => [p.name, p.recoveryMs]))
  const row = (c: PhaseCounts) => [
    c.phase,
    String(c.sent),
    String(c.accepted),
    Object.entries(c.refused)
      .map(([code, n]) => `${n} ${code}`)
      .join(', ') || '0',
    String(c.unreachable),
    String(c.timedOut),
    String(c.escalated),
    String(c.answeredByCloud),
    String(c.decidedByEdge),
    String(c.finalRows),
    String(c.duplicates),
    String(c.resultRepublished),
    String(c.lost),
    c.phase === 'all'
      ? ''
      : recoveries.get(c.phase) == null
        ? 'NO'
        : ((recoveries.get(c.phase) ?? 0) / 1000).toFixed(1),
  ]
  const rows = [header, ...report.audit.phases.map(row), row(report.audit.totals)]
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
  )
}
