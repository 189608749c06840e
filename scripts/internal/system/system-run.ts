import { dirname, resolve } from 'node:path'
import { createScratchDatabase } from './scratch-database.ts'
import type { SystemConfig } from './system.config.ts'
import { TokenlineSystem } from './system.ts'

const root = resolve(import.meta.dirname, '../../..')

export type SystemRunOptions = {
  /** Names the run's scratch database (`tokenline_<name>_…`) and its default report folder. */
  name: 'drill' | 'soak'
  config: SystemConfig
  /** Report file (DRILL_OUT / SOAK_OUT), from the repository root; default `tmp/<name>/<time>/report.json`. */
  out: string | undefined
  /** Start every service with an inspector (the soak); default off. */
  inspect?: boolean
  say: (line: string) => void
}

/**
 * One `npm run drill` / `npm run soak`: a scratch PostgreSQL database, the whole system in `run/`
 * beside the report, every child killed when this process exits (SIGINT and SIGTERM exit 130),
 * the system started, then `run(system, out)` (true: passed). Afterwards the system closes, a
 * passing run drops its database unless SYSTEM_KEEP (a failing one keeps it), and the process
 * exits 0 on a pass, 1 otherwise; a throw from `run` propagates after the close.
 */
export async function startSystemRun(
  options: SystemRunOptions,
  run: (system: TokenlineSystem, out: string) => Promise<boolean>,
): Promise<never> {
  const { name, config, say } = options
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const out = resolve(root, options.out ?? `tmp/${name}/${stamp}/report.json`)
  const runDir = resolve(dirname(out), 'run')
  const database = await createScratchDatabase(config.SYSTEM_POSTGRES_URL, `tokenline_${name}_`)
  const system = await TokenlineSystem.create({
    runDir,
    databaseUrl: database.url,
    deadlineMs: 600_000,
    minConfidence: config.SYSTEM_MIN_CONFIDENCE,
    auditRate: 0.05,
    inspect: options.inspect,
  })
  process.on('exit', () => system.killAll())
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))
  say(`services log: ${system.logFile}; database ${database.name}`)
  let passed = false
  try {
    await system.start()
    passed = await run(system, out)
  } finally {
    await system.close()
    if (passed && !config.SYSTEM_KEEP) await database.drop()
    else say(`kept database ${database.name} and ${runDir} for a look`)
  }
  process.exit(passed ? 0 : 1)
}
