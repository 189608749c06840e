import { z } from 'zod'
import { type Env, nonNegativeIntVar, parseEnv, positiveIntVar } from '../../../lib/config/index.ts'
import { type SystemService, systemServices } from './system.ts'

const rateVar = (defaultRate: number) =>
  z.coerce
    .number({ error: 'expected inspections per second, > 0 and <= 100' })
    .gt(0, { error: 'expected inspections per second, > 0 and <= 100' })
    .max(100, { error: 'expected inspections per second, > 0 and <= 100' })
    .default(defaultRate)

const systemShape = {
  /** PostgreSQL server where each run creates (and drops) its own database; trust auth or a URL with credentials. */
  SYSTEM_POSTGRES_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { error: 'expected a postgres:// or postgresql:// URL' })
    .default('postgres://postgres@127.0.0.1:5432/test'),
  /** Keep the scratch database after a passing run; default false (the run's folder is always kept). */
  SYSTEM_KEEP: z
    .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  /** Edge confidence below which a case is escalated; default 0.9 (a good share escalates). */
  SYSTEM_MIN_CONFIDENCE: z.coerce
    .number({ error: 'expected a confidence between 0 and 1' })
    .min(0, { error: 'expected a confidence between 0 and 1' })
    .max(1, { error: 'expected a confidence between 0 and 1' })
    .default(0.9),
}

/** The settings every whole-system run (drill, soak) reads. */
export type SystemConfig = z.output<z.ZodObject<typeof systemShape>>

const drillEnv = z.object({
  ...systemShape,
  DRILL_RATE: rateVar(5),
  /** Steady traffic before each fault, ms; default 20 s. */
  DRILL_STEADY_MS: positiveIntVar(20_000, 'a positive number of milliseconds'),
  /** How long a killed broker / cloud / gateway stays down, ms; default 10 s. */
  DRILL_DOWN_MS: nonNegativeIntVar(10_000, 'a whole number of milliseconds >= 0'),
  /** How long the edge is cut off the broker, ms; default 3 minutes. */
  DRILL_CUT_MS: positiveIntVar(180_000, 'a positive number of milliseconds'),
  /** EDGE_OUTBOX_MAX_ROWS in the outbox phase; default 60 records. */
  DRILL_OUTBOX_MAX_ROWS: positiveIntVar(60, 'a positive number of records'),
  /** Keep the outbox phase's link cut until this many EDGE_OUTBOX_FULL refusals; default 50. */
  DRILL_OUTBOX_REFUSALS: positiveIntVar(50, 'a positive number of refusals'),
  /** Longest wait for a phase's inspections to reach the gateway after its fault, ms; default 5 minutes. */
  DRILL_RECOVERY_TIMEOUT_MS: positiveIntVar(300_000, 'a positive number of milliseconds'),
  /** Report file (JSON); default tmp/drill/<time>/report.json. */
  DRILL_OUT: z.string().optional(),
})

export type DrillConfig = z.output<typeof drillEnv>

export function loadDrillConfig(env: Env): DrillConfig {
  return parseEnv(drillEnv, env)
}

const soakEnv = z.object({
  ...systemShape,
  /** Length of the steady run, minutes; default 30. */
  SOAK_MINUTES: z.coerce
    .number({ error: 'expected minutes > 0' })
    .gt(0, { error: 'expected minutes > 0' })
    .default(30),
  SOAK_RATE: rateVar(5),
  /** Sample period of memory, handles, latency and outbox, ms; default 30 s. */
  SOAK_SAMPLE_MS: positiveIntVar(30_000, 'a positive number of milliseconds'),
  /** After the stream stops, how long the outbox and the last verdicts may take, ms; default 2 minutes. */
  SOAK_DRAIN_TIMEOUT_MS: positiveIntVar(120_000, 'a positive number of milliseconds'),
  /** Minutes before the memory window starts (the verdict fits the post-GC heap after it); default 10, capped at half the run. */
  SOAK_WARMUP_MINUTES: z.coerce
    .number({ error: 'expected minutes >= 0' })
    .min(0, { error: 'expected minutes >= 0' })
    .default(10),
  /** Services heap-snapshotted at the start and end of the memory window, comma-separated, or "none"; default all five. */
  SOAK_SNAPSHOT_SERVICES: z
    .string()
    .default(systemServices.join(','))
    .transform((v, ctx) => {
      const names =
        v === 'none'
          ? []
          : v
              .split(',')
              .map((s) => s.trim())
              .filter((s) => s !== '')
      const unknown = names.filter((n) => !(systemServices as readonly string[]).includes(n))
      if (unknown.length > 0)
        ctx.addIssue({
          code: 'custom',
          message: `expected "none" or a comma-separated list of ${systemServices.join(', ')}; got ${unknown.join(', ')}`,
        })
      return names as SystemService[]
    }),
  /** Report file (JSON); default tmp/soak/<time>/report.json. */
  SOAK_OUT: z.string().optional(),
})

export type SoakConfig = z.output<typeof soakEnv>

export function loadSoakConfig(env: Env): SoakConfig {
  return parseEnv(soakEnv, env)
}
