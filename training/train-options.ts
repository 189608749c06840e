/**
 * Options of `npm run train`, parsed once from argv (pure: no file system, no env).
 */
import { parseArgs } from 'node:util'
import { ConfigError } from '../lib/config/index.ts'

export const trainRoles = ['edge', 'cloud'] as const
export type TrainRole = (typeof trainRoles)[number]

/** Architecture and budget mix per role; the shipped models use these. */
export type RolePreset = {
  width: number
  depth: number
  heads: number
  /**
   * Share of training steps drawn at budget N is proportional to N^budgetExponent: the edge
   * (negative) trains mostly where it serves, at few tokens; the cloud (positive) leans to the
   * large budgets it escalates to, while every rung of the ladder still gets steps.
   */
  budgetExponent: number
}

export const rolePresets: Record<TrainRole, RolePreset> = {
  edge: { width: 64, depth: 3, heads: 4, budgetExponent: -0.5 },
  cloud: { width: 80, depth: 4, heads: 4, budgetExponent: 0.25 },
}

/** The ladder the shipped models are trained and evaluated on: g = 4, 6, …, 16 patches a side. */
export const defaultBudgets = [16, 36, 64, 100, 144, 196, 256] as const

export type TrainOptions = {
  /** Tokenized folder (meta.json), generated dataset (labels.jsonl) or labelled `<dir>/<class>/*.png|jpg`. */
  data: string
  /** Validation split in any of the same forms; absent: a fifth of `data`, chosen by a hash of the image id, is held out. */
  val?: string
  /** Held-out test split for the metrics written into the manifest; optional. */
  test?: string
  roles: TrainRole[]
  /** Folder that receives `<name>/model.onnx` + `manifest.json`; default `models`. */
  out: string
  /** Model name per role; default `<data folder name>-<role>`. */
  names: Record<TrainRole, string>
  /** Checkpoints, tensors, logs, golden outputs; default `tmp/train/<first name>`. */
  work: string
  /** Wall-clock training budget per role, minutes; default 30. */
  minutes: number
  /** Stop after this many steps (0 = time only); for smoke runs. */
  maxSteps: number
  budgets: number[]
  patchSize: number
  channels: 1 | 3
  labels?: string[]
  batch: number
  /** torch intra-op threads; default 2. */
  threads: number
  python: string
  /**
   * masks: per-patch supervision (generated data); labels: image labels alone
   * (training/labels_recipe.py); auto (default): labels for an edge model when the data has no masks.
   */
  recipe: 'auto' | 'masks' | 'labels'
  /** Also train plain baselines (logistic regression, a small CNN) for the same minutes; default off. */
  baseline: boolean
  /** Overrides of the role presets (width, depth, heads). */
  width?: number
  depth?: number
  heads?: number
}

const nameRe = /^[a-z0-9][a-z0-9._-]*$/

function slug(s: string): string {
  const base = s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
  return base === '' ? 'model' : base
}

function folderName(path: string): string {
  const parts = path.split(/[\\/]+/).filter((p) => p !== '' && p !== '.')
  return parts[parts.length - 1] ?? 'data'
}

/**
 * Parses `npm run train` arguments; every problem is reported at once in a ConfigError.
 */
export function loadTrainOptions(argv: string[]): TrainOptions {
  try {
    return parseTrainOptions(argv)
  } catch (err) {
    if (err instanceof ConfigError) throw err
    throw new ConfigError([(err as Error).message])
  }
}

function parseTrainOptions(argv: string[]): TrainOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      val: { type: 'string' },
      test: { type: 'string' },
      role: { type: 'string', default: 'both' },
      out: { type: 'string', default: 'models' },
      name: { type: 'string' },
      'edge-name': { type: 'string' },
      'cloud-name': { type: 'string' },
      work: { type: 'string' },
      minutes: { type: 'string', default: '30' },
      'max-steps': { type: 'string', default: '0' },
      budgets: { type: 'string', default: defaultBudgets.join(',') },
      patch: { type: 'string', default: '8' },
      channels: { type: 'string', default: '1' },
      labels: { type: 'string' },
      batch: { type: 'string', default: '32' },
      threads: { type: 'string', default: '2' },
      python: { type: 'string', default: '/usr/bin/python3' },
      width: { type: 'string' },
      depth: { type: 'string' },
      heads: { type: 'string' },
      recipe: { type: 'string', default: 'auto' },
      baseline: { type: 'boolean', default: false },
    },
    strict: true,
  })
  const problems: string[] = []
  const positiveInt = (flag: string, raw: string | undefined, min = 1): number | undefined => {
    if (raw === undefined) return undefined
    const v = Number(raw)
    if (!Number.isSafeInteger(v) || v < min) {
      problems.push(`expected an integer >= ${min} for --${flag} but received ${raw}`)
      return undefined
    }
    return v
  }
  if (!values.data) problems.push('expected a dataset or tensor folder for --data but received nothing')
  const roles: TrainRole[] =
    values.role === 'both' ? ['edge', 'cloud'] : trainRoles.filter((r) => r === values.role)
  if (roles.length === 0) problems.push(`expected edge, cloud or both for --role but received ${values.role}`)
  const minutes = Number(values.minutes)
  if (!Number.isFinite(minutes) || minutes <= 0) {
    problems.push(`expected a positive number of minutes for --minutes but received ${values.minutes}`)
  }
  const budgets = values.budgets.split(',').map((s) => Number(s.trim()))
  for (const b of budgets) {
    if (!Number.isSafeInteger(b) || b <= 0 || !Number.isInteger(Math.sqrt(b))) {
      problems.push(`expected perfect-square budgets for --budgets but received ${b}`)
    }
  }
  const channels = Number(values.channels)
  if (channels !== 1 && channels !== 3) {
    problems.push(`expected 1 or 3 for --channels but received ${values.channels}`)
  }
  const recipe = values.recipe
  if (recipe !== 'auto' && recipe !== 'masks' && recipe !== 'labels') {
    problems.push(`expected auto, masks or labels for --recipe but received ${recipe}`)
  }
  const base = values.name ?? slug(folderName(values.data ?? 'data'))
  const names: Record<TrainRole, string> = {
    edge: values['edge-name'] ?? `${base}-edge`,
    cloud: values['cloud-name'] ?? `${base}-cloud`,
  }
  for (const role of roles) {
    if (!nameRe.test(names[role])) {
      problems.push(
        `expected a lower-case model name (letters, digits, . _ -) for ${role} but received ${names[role]}`,
      )
    }
  }
  const options: TrainOptions = {
    data: values.data ?? '',
    val: values.val,
    test: values.test,
    roles,
    out: values.out,
    names,
    work: values.work ?? `tmp/train/${names[roles[0] ?? 'edge']}`,
    minutes,
    maxSteps: positiveInt('max-steps', values['max-steps'], 0) ?? 0,
    budgets,
    patchSize: positiveInt('patch', values.patch) ?? 8,
    channels: channels === 3 ? 3 : 1,
    labels: values.labels?.split(',').map((s) => s.trim()),
    batch: positiveInt('batch', values.batch) ?? 32,
    threads: positiveInt('threads', values.threads) ?? 2,
    python: values.python,
    width: positiveInt('width', values.width),
    depth: positiveInt('depth', values.depth),
    heads: positiveInt('heads', values.heads),
    recipe: recipe === 'masks' || recipe === 'labels' ? recipe : 'auto',
    baseline: values.baseline,
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return options
}

/** Share of training steps per budget for a role (sums to 1, 3 decimals), any ladder. */
export function budgetWeightsFor(role: TrainRole, budgets: number[]): number[] {
  const raw = budgets.map((n) => n ** rolePresets[role].budgetExponent)
  const sum = raw.reduce((a, b) => a + b, 0)
  return raw.map((w) => Math.round((w / sum) * 1000) / 1000)
}
