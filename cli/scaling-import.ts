/**
 * npm run scaling:import -- <report.json>...
 *
 * Validates each file as tokenline.scaling-report.v1 (all files first; nothing is stored if one
 * is invalid), then stores them in the database the gateway reads: PostgreSQL when DATABASE_URL
 * is set, otherwise the embedded PGlite under TOKENLINE_DATA_DIR (default ./data). Importing the
 * same report again changes nothing (reports are keyed by the sha256 of their content).
 *
 * The embedded database belongs to one process at a time. While the gateway runs on it this
 * command stops with DB_LOCKED; either stop the gateway first, or copy the report to
 * `models/<model>/scaling-<name>.json`, which the gateway imports at every start.
 */
import { basename } from 'node:path'
import { z } from 'zod'
import { commonEnvShape, databaseUrlVar, type Env, parseEnv, positiveIntVar } from '../lib/config/index.ts'
import type { ScalingReportV1 } from '../lib/contracts/scaling-report.v1.ts'
import { openStorage, storageTarget } from '../lib/db/index.ts'
import { isTokenlineError } from '../lib/errors/index.ts'
import { runMain } from '../lib/lifecycle/index.ts'
import { createLogger } from '../lib/log/index.ts'
import { readScalingReportFile } from '../services/gateway/src/models/report-files.ts'

const usage = 'usage: npm run scaling:import -- <report.json> [more.json ...]'

const importEnv = z.object({
  LOG_LEVEL: commonEnvShape.LOG_LEVEL,
  TOKENLINE_DATA_DIR: commonEnvShape.TOKENLINE_DATA_DIR,
  DATABASE_URL: databaseUrlVar,
  DATABASE_CONNECT_ATTEMPTS: positiveIntVar(10, 'a positive integer number of attempts'),
})

function loadConfig(env: Env) {
  return parseEnv(importEnv, env)
}

runMain('scaling:import', async () => {
  const config = loadConfig(process.env)
  const files = process.argv.slice(2).filter((a) => a !== '--')
  if (files.length === 0 || files.some((f) => f === '--help' || f === '-h')) {
    process.stderr.write(`${usage}\n`)
    process.exit(files.length === 0 ? 2 : 0)
  }

  const reports: { file: string; report: ScalingReportV1 }[] = []
  const problems: string[] = []
  for (const file of files) {
    try {
      reports.push({ file, report: await readScalingReportFile(file) })
    } catch (err) {
      problems.push(isTokenlineError(err) ? err.message : String(err))
    }
  }
  if (problems.length > 0) {
    process.stderr.write(
      `scaling:import: nothing stored; ${problems.length} invalid file(s):\n${problems.join('\n')}\n`,
    )
    process.exit(1)
  }

  const log = createLogger('scaling-import', config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL)
  const storage = await openStorage(storageTarget(config.DATABASE_URL, config.TOKENLINE_DATA_DIR), {
    log,
    owner: 'npm run scaling:import',
    connectAttempts: config.DATABASE_CONNECT_ATTEMPTS,
  }).catch((err: unknown) => {
    if (isTokenlineError(err) && err.code === 'DB_LOCKED') {
      err.message +=
        '\n  To import while the gateway runs, copy the file to models/<model>/scaling-<name>.json' +
        ' and restart the gateway (it imports models/*/scaling*.json at start).'
    }
    throw err
  })
  try {
    for (const { file, report } of reports) {
      const { id, created } = await storage.scalingReports.import(report)
      const what = `${basename(file)}: ${report.model}, ${report.points.length} budgets, α=${report.fits.overall.alpha.toFixed(3)}`
      process.stdout.write(`${created ? 'stored' : 'already stored'} ${what} (id ${id.slice(0, 12)}…)\n`)
    }
    process.stdout.write(`${reports.length} report(s) in ${storage.driver} ${storage.location}\n`)
  } finally {
    await storage.close()
  }
})
