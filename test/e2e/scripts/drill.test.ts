/**
 * Issue 14's fault drill with short phases: every service a child process (broker, gateway on
 * PostgreSQL, two cloud instances, edge), a steady stream of inspections, and one fault at a time:
 * kill -9 of the broker, cloud-b, the edge and the gateway, the edge cut off the broker, the
 * outbox filled. The same module `npm run drill` runs with faults lasting minutes. Then 30 s of
 * the soak (`npm run soak`) on the recovered system: sampled, drained, nothing lost.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DrillReport, formatDrillTable, runDrill } from '../../../scripts/internal/system/drill.ts'
import { runSoak } from '../../../scripts/internal/system/soak.ts'
import { TokenlineSystem } from '../../../scripts/internal/system/system.ts'
import { createTestDatabase } from '../../integration/lib/db/postgres-test-database.ts'

let database: Awaited<ReturnType<typeof createTestDatabase>>
let system: TokenlineSystem
let runDir: string
let report: DrillReport | undefined

beforeAll(async () => {
  database = await createTestDatabase()
  runDir = mkdtempSync(join(tmpdir(), 'tokenline-drill-'))
  system = await TokenlineSystem.create({
    runDir,
    databaseUrl: database.url,
    deadlineMs: 600_000,
    minConfidence: 0.9,
    auditRate: 0.05,
    // As `npm run soak` starts them: the soak below reads each heap after a forced GC.
    inspect: true,
  })
  await system.start()
}, 180_000)

afterAll(async () => {
  await system?.close().catch(() => system.killAll())
  await database?.drop()
  // A failing run keeps its service logs for a look.
  if (report?.passed) rmSync(runDir, { recursive: true, force: true })
}, 90_000)

describe('the whole system under faults, one at a time (kill -9 broker, cloud, edge, gateway; link cut; outbox full)', () => {
  it('gives every accepted inspection exactly one final result, answers every escalation from the cloud and keeps the edge deciding', async () => {
    report = await runDrill(system, {
      rate: 4,
      steadyMs: 4000,
      downMs: 2000,
      cutMs: 8000,
      outboxMaxRows: 20,
      outboxRefusals: 3,
      recoveryTimeoutMs: 90_000,
    })
    const table = formatDrillTable(report).join('\n')
    console.log(
      `${table}\n${report.findings.map((f) => `finding: ${f}\n`).join('')}services log: ${system.logFile}`,
    )
    const failed = Object.entries(report.checks)
      .filter(([, ok]) => !ok)
      .map(([check]) => check)
    expect(failed, `${table}\n${report.unexpectedExits.join('\n')}`).toEqual([])
    const phases = new Map(report.audit.phases.map((p) => [p.phase, p]))
    for (const name of ['broker kill -9', 'cloud kill -9', 'gateway kill -9', 'edge cut off']) {
      expect(phases.get(name)?.accepted, name).toBeGreaterThan(0)
      expect(phases.get(name)?.escalated, name).toBeGreaterThan(0)
    }
    expect(report.audit.totals.finalRows).toBe(report.audit.totals.accepted)
    expect(report.audit.totals.answeredByCloud).toBe(report.audit.totals.escalated)
    // Every decided inspection's result on Kafka (some twice: the outbox is at-least-once across a kill -9).
    expect(report.audit.resultRecords).toBeGreaterThanOrEqual(
      report.audit.totals.accepted + report.audit.unacknowledgedRows,
    )
    expect(report.audit.verdictRecords).toBeGreaterThanOrEqual(report.audit.totals.escalated)
    expect(report.proxyRefusedConnections).toBeGreaterThan(0)
  }, 330_000)
})

describe('the whole system as separate processes after the drill, under a steady stream (the soak, 30 s)', () => {
  it("samples every service's memory, heap and handles, measures latency to the gateway and ends with the outbox empty", async () => {
    const soak = await runSoak(system, { minutes: 0.5, rate: 4, sampleMs: 10_000, drainTimeoutMs: 60_000 })
    expect(soak.samples.length).toBeGreaterThanOrEqual(3)
    for (const sample of soak.samples) {
      for (const [service, s] of Object.entries(sample.services)) {
        expect(s.rssMb, service).toBeGreaterThan(20)
        expect(s.heapUsedMb, service).toBeGreaterThan(1)
        expect(s.activeHandles, service).toBeGreaterThan(0)
        expect(s.afterGc?.heapUsedMb, service).toBeGreaterThan(1)
      }
    }
    expect(soak.samples.some((s) => s.settled > 0 && s.latencyMs.p50 !== null)).toBe(true)
    expect(soak.totals.accepted).toBeGreaterThan(0)
    expect(soak.totals.lost).toBe(0)
    expect(soak.outboxEmptyAtEnd.verdict).toBe(true)
    expect(soak.memoryFlat.line).toMatch(
      /^memory flat: (yes|no) \(post-GC heap used, minutes [\d.]+–[\d.]+, \d+ samples, /,
    )
    // 30 s with a sample every 10 s leaves 2 samples after the (capped) warm-up: too few for a slope.
    expect(soak.memory['cloud-b'].heapAfterGcEndMb).toBeGreaterThan(1)
  }, 180_000)
})
