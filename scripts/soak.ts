/**
 * `npm run soak`: the whole system (broker, gateway on a fresh PostgreSQL database, cloud-a and
 * cloud-b, edge; each a child process) under a steady stream for SOAK_MINUTES (default 30).
 * Samples memory, heap, handles, CPU, outbox depth and end-to-end latency every SOAK_SAMPLE_MS,
 * prints a row per sample, then computed verdicts (memory flat, handles flat, latency stable,
 * outbox empty at the end); writes the JSON report. Every service runs with
 * `--inspect=127.0.0.1:0` here (only here), so each sample can force a full GC and read the heap
 * after it, and heap snapshots at the start and the end of the memory window (after
 * SOAK_WARMUP_MINUTES) land in `heap/` beside the report, compared by constructor. Exits 1 when a verdict is "no" or an
 * accepted inspection never reached the gateway. Settings: SOAK_* and SYSTEM_*
 * (scripts/internal/system/system.config.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { runMain } from '../lib/lifecycle/index.ts'
import { formatHeapComparisons, formatSoakHeader, runSoak } from './internal/system/soak.ts'
import { loadSoakConfig } from './internal/system/system.config.ts'
import { startSystemRun } from './internal/system/system-run.ts'

const print = (line: string) => process.stdout.write(`${line}\n`)

runMain('soak', async () => {
  const config = loadSoakConfig(process.env)
  await startSystemRun(
    { name: 'soak', config, out: config.SOAK_OUT, inspect: true, say: print },
    async (system, out) => {
      print(
        `soak: ${config.SOAK_MINUTES} min at ${config.SOAK_RATE}/s, a sample every ${config.SOAK_SAMPLE_MS / 1000} s ` +
          '(latency = submit → final verdict visible in the gateway, ms; per service RSS MB / heap used after a full GC MB / active handles / CPU % of one core)',
      )
      print(formatSoakHeader())
      const report = await runSoak(system, {
        minutes: config.SOAK_MINUTES,
        rate: config.SOAK_RATE,
        sampleMs: config.SOAK_SAMPLE_MS,
        drainTimeoutMs: config.SOAK_DRAIN_TIMEOUT_MS,
        warmupMinutes: config.SOAK_WARMUP_MINUTES,
        snapshots: { dir: resolve(dirname(out), 'heap'), services: config.SOAK_SNAPSHOT_SERVICES },
        say: print,
      })
      mkdirSync(dirname(out), { recursive: true })
      writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`)
      const { totals } = report
      print(
        `\n${totals.sent} sent, ${totals.accepted} accepted, ${totals.refused} refused, ${totals.unanswered} unanswered, ` +
          `${totals.lost} accepted without a final verdict in the gateway; spans compared: ${report.spanMin.toFixed(1)} min`,
      )
      for (const f of [
        report.memoryFlat,
        report.rss,
        report.handlesFlat,
        report.latencyStable,
        report.outboxEmptyAtEnd,
      ])
        print(f.line)
      for (const line of formatHeapComparisons(report.heapComparisons)) print(line)
      print(`report: ${out}`)
      return (
        report.memoryFlat.verdict &&
        report.handlesFlat.verdict &&
        report.latencyStable.verdict &&
        report.outboxEmptyAtEnd.verdict &&
        totals.lost === 0
      )
    },
  )
})
