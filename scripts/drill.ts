/**
 * `npm run drill`: the whole-system fault drill of issue 14 with every service a child process
 * (broker, gateway on a fresh PostgreSQL database, cloud-a and cloud-b, edge), a steady stream
 * of inspections, and one fault at a time: kill -9 of the broker, a cloud instance, the edge and
 * the gateway; the edge cut off the broker (3 minutes by default); the outbox filled. Prints the
 * counts per phase and the checks, writes a JSON report, exits 1 when a check fails.
 * Settings: DRILL_* and SYSTEM_* (scripts/internal/system/system.config.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { runMain } from '../lib/lifecycle/index.ts'
import { formatDrillTable, runDrill } from './internal/system/drill.ts'
import { loadDrillConfig } from './internal/system/system.config.ts'
import { startSystemRun } from './internal/system/system-run.ts'

const say = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`)

runMain('drill', async () => {
  const config = loadDrillConfig(process.env)
  await startSystemRun({ name: 'drill', config, out: config.DRILL_OUT, say }, async (system, out) => {
    say('broker, gateway, cloud-a, cloud-b and edge are up; the drill line has its policy')
    const report = await runDrill(system, {
      rate: config.DRILL_RATE,
      steadyMs: config.DRILL_STEADY_MS,
      downMs: config.DRILL_DOWN_MS,
      cutMs: config.DRILL_CUT_MS,
      outboxMaxRows: config.DRILL_OUTBOX_MAX_ROWS,
      outboxRefusals: config.DRILL_OUTBOX_REFUSALS,
      recoveryTimeoutMs: config.DRILL_RECOVERY_TIMEOUT_MS,
      say,
    })
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`)
    process.stdout.write(`\n${formatDrillTable(report).join('\n')}\n\n`)
    process.stdout.write(
      `records on Kafka: ${report.audit.resultRecords} results, ${report.audit.verdictRecords} cloud verdicts; ` +
        `database rows no accepted answer names (decided while the answer was lost): ${report.audit.unacknowledgedRows}; ` +
        `edge connections refused by the cut: ${report.proxyRefusedConnections}\n`,
    )
    for (const [check, ok] of Object.entries(report.checks))
      process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${check}\n`)
    for (const exit of report.unexpectedExits) process.stdout.write(`${exit}\n`)
    for (const finding of report.findings) process.stdout.write(`finding: ${finding}\n`)
    if (report.audit.lostIds.length > 0)
      process.stdout.write(`lost: ${report.audit.lostIds.slice(0, 20).join(' ')}\n`)
    if (report.audit.duplicateIds.length > 0)
      process.stdout.write(`duplicated: ${report.audit.duplicateIds.slice(0, 20).join(' ')}\n`)
    if (report.audit.republishedIds.length > 0)
      process.stdout.write(
        `edge result on Kafka twice (outbox at-least-once after a kill -9; one row in the database): ${report.audit.republishedIds.slice(0, 20).join(' ')}\n`,
      )
    process.stdout.write(`report: ${out}\n`)
    return report.passed
  })
})
