import { parseArgs } from 'node:util'
import { ConfigError } from '../../lib/config/index.ts'

export const frontierUsage = `usage: npm run frontier -- [--edge <records.json>] [--cloud <records.json>] [--models-dir models]
  [--policy <policy.json>] [--edge-price x] [--cloud-price y] [--min-confidence none,0.5,...]
  [--target-accuracy a] [--max-cost-per-1k c] [--json out.json] [--max-ms 600000]`

export type FrontierOptions = {
  /** Edge calibration records; default models/edge-vit-s/calibration.json. */
  edge: string
  /** Cloud calibration records; default models/cloud-vit-m/calibration.json. */
  cloud: string
  /** Where the manifests are (latency per budget, budgets the policy may use, the demo policy). */
  modelsDir: string
  /** A policy body JSON file; undefined = the demo line's first policy. */
  policy: string | undefined
  /** Price per 1,000 tokens replacing the policy's; undefined = the policy's own. */
  edgePrice: number | undefined
  cloudPrice: number | undefined
  /** minConfidence values of the grid (null = no threshold); undefined = the library's default grid. */
  minConfidence: (number | null)[] | undefined
  /** One recommendation per value (flags may repeat). */
  targetAccuracy: number[]
  maxCostPer1k: number[]
  json: string | undefined
  /** The grid's time bound, ms (the gateway's is GATEWAY_REPLAY_MAX_MS; a CLI can wait longer). */
  maxMs: number
  help: boolean
}

function numberArg(
  flag: string,
  raw: string | undefined,
  ok: (v: number) => boolean,
  expected: string,
  problems: string[],
): number | undefined {
  if (raw === undefined) return undefined
  const v = raw.trim() === '' ? Number.NaN : Number(raw)
  if (!Number.isFinite(v) || !ok(v)) problems.push(`expected ${expected} for --${flag} but received ${raw}`)
  return v
}

/**
 * `npm run frontier` arguments → options; every problem at once.
 * @throws ConfigError for unknown flags, missing values and values out of range
 */
export function loadFrontierOptions(argv: readonly string[]): FrontierOptions {
  let values: Record<string, string | string[] | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args: argv.filter((a) => a !== '--'),
      options: {
        edge: { type: 'string', default: 'models/edge-vit-s/calibration.json' },
        cloud: { type: 'string', default: 'models/cloud-vit-m/calibration.json' },
        'models-dir': { type: 'string', default: 'models' },
        policy: { type: 'string' },
        'edge-price': { type: 'string' },
        'cloud-price': { type: 'string' },
        'min-confidence': { type: 'string' },
        'target-accuracy': { type: 'string', multiple: true },
        'max-cost-per-1k': { type: 'string', multiple: true },
        json: { type: 'string' },
        'max-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (err) {
    throw new ConfigError([`${(err as Error).message}\n${frontierUsage}`])
  }
  const str = (k: string) => values[k] as string | undefined
  const problems: string[] = []
  const price = (flag: string) =>
    numberArg(flag, str(flag), (v) => v >= 0, 'a price per 1,000 tokens >= 0', problems)
  const edgePrice = price('edge-price')
  const cloudPrice = price('cloud-price')
  const list = (k: string) => (values[k] as string[] | undefined) ?? []
  const targetAccuracy = list('target-accuracy').map(
    (raw) => numberArg('target-accuracy', raw, (v) => v >= 0 && v <= 1, 'an accuracy in [0, 1]', problems)!,
  )
  const maxCostPer1k = list('max-cost-per-1k').map(
    (raw) => numberArg('max-cost-per-1k', raw, (v) => v >= 0, 'a cost per 1,000 images >= 0', problems)!,
  )
  const maxMs = numberArg('max-ms', str('max-ms'), (v) => v > 0, 'a time bound > 0 ms', problems) ?? 600_000
  let minConfidence: (number | null)[] | undefined
  const grid = str('min-confidence')
  if (grid !== undefined) {
    const items = grid.split(',').map((s) => s.trim())
    // Number('') is 0: an empty item ("0.5," or "") would add a threshold nobody asked for.
    minConfidence = items.map((s) => (s === 'none' ? null : s === '' ? Number.NaN : Number(s)))
    if (minConfidence.some((m) => m !== null && !(m >= 0 && m <= 1)))
      problems.push(
        `expected comma-separated probabilities in [0, 1] or "none" for --min-confidence but received ${grid}`,
      )
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return {
    edge: str('edge')!,
    cloud: str('cloud')!,
    modelsDir: str('models-dir')!,
    policy: str('policy'),
    edgePrice,
    cloudPrice,
    minConfidence,
    targetAccuracy,
    maxCostPer1k,
    json: str('json'),
    maxMs,
    help: values.help === true,
  }
}
