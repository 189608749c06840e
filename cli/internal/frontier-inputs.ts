/**
 * What `npm run frontier` replays: two calibration record files, the manifests of the models
 * folder (latency per budget and the budgets a policy may use, as the gateway registers them) and
 * a base policy (the demo line's first one, or a JSON file), checked with the gateway's own
 * validation.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from '../../lib/config/index.ts'
import {
  type CalibrationRecordsV1,
  calibrationRecordsV1,
} from '../../lib/contracts/calibration-records.v1.ts'
import type { ModelManifestV1 } from '../../lib/contracts/model-manifest.v1.ts'
import type { ModelRow } from '../../lib/db/index.ts'
import { type PolicyV2, policyPayloadV2 } from '../../lib/messaging/index.ts'
import { type CalibrationSet, calibrationSet, ReplayError } from '../../lib/policy/replay/index.ts'
import { readManifestFile } from '../../services/gateway/src/models/report-files.ts'
import { demoPolicyBody } from '../../services/gateway/src/policy/demo-seed.ts'
import { validatePolicy } from '../../services/gateway/src/policy/policy.validation.ts'
import type { FieldProblem } from '../../services/gateway/src/policy/policy-document.ts'

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ReplayError('REPLAY_RECORDS_INVALID', `cannot read ${what} ${path}: ${(err as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ReplayError('REPLAY_RECORDS_INVALID', `${what} ${path} is not JSON: ${(err as Error).message}`)
  }
}

/** @throws ReplayError REPLAY_RECORDS_INVALID when the file is missing, not JSON or not records v1 */
export async function readRecords(path: string): Promise<CalibrationRecordsV1> {
  const parsed = calibrationRecordsV1.safeParse(await readJson(path, 'calibration records'))
  if (!parsed.success)
    throw new ReplayError(
      'REPLAY_RECORDS_INVALID',
      `${path} is not valid tokenline.calibration-records.v1: ${parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`)
        .join('; ')}`,
    )
  return parsed.data
}

/** Every valid `<dir>/<folder>/manifest.json` as the row the gateway registers; others are skipped, as at the gateway's start. */
export async function readModels(dir: string): Promise<ModelRow[]> {
  let folders: string[]
  try {
    folders = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name)
  } catch (err) {
    throw new ConfigError([`expected a models folder for --models-dir but ${dir}: ${(err as Error).message}`])
  }
  const rows: ModelRow[] = []
  for (const folder of folders.sort()) {
    let m: ModelManifestV1
    try {
      m = await readManifestFile(join(dir, folder, 'manifest.json'))
    } catch {
      continue
    }
    const { name, role, sha256, labels, patchSize, budgets } = m
    const at = new Date(0)
    rows.push({
      ...{ name, role, sha256, labels, patchSize, budgets },
      manifest: m as unknown as Record<string, unknown>,
      registeredAt: at,
      updatedAt: at,
    })
  }
  return rows
}

function modelOf(rows: readonly ModelRow[], r: CalibrationRecordsV1, path: string, dir: string): ModelRow {
  const row = rows.find((m) => m.name === r.model)
  if (row === undefined)
    throw new ReplayError(
      'REPLAY_RECORDS_INVALID',
      `${path} holds records of ${r.model} but ${dir} has no manifest named ${r.model} (its latency per budget and budgets come from the manifest)`,
    )
  return row
}

/** Per budget, ms per image from a manifest's metrics: the figures the gateway replays with. */
function latencyOf(row: ModelRow): Record<string, number> {
  const metrics = (row.manifest as ModelManifestV1).metrics ?? {}
  const out: Record<string, number> = {}
  for (const [b, m] of Object.entries(metrics))
    if (m.latencyMsPerImage !== undefined) out[b] = m.latencyMsPerImage
  return out
}

export type PolicySource = { file: string | undefined; edgePrice?: number; cloudPrice?: number }

/**
 * The base policy: the demo line's first policy for the records' models, or the body in `file`
 * (the `tokenline.policies.v2` message; version, author and the like may be left out), with the
 * prices replaced when given; then the gateway's validatePolicy against the models folder.
 * @throws ConfigError listing every problem of the policy
 */
export async function basePolicy(
  src: PolicySource,
  models: readonly ModelRow[],
  edge: ModelRow,
  cloud: ModelRow,
): Promise<PolicyV2> {
  const where = src.file === undefined ? 'the demo policy' : `--policy ${src.file}`
  let raw: unknown
  if (src.file === undefined) raw = demoPolicyBody(edge, cloud)
  else {
    try {
      raw = await readJson(src.file, 'policy')
    } catch (err) {
      throw new ConfigError([(err as Error).message])
    }
  }
  const identity = {
    plantId: 'replay',
    lineId: 'replay',
    version: 1,
    author: 'npm run frontier',
    reason: 'replay',
    createdAt: new Date(0).toISOString(),
    rolledBackTo: null,
  }
  const withIdentity =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { ...identity, ...raw } : raw
  const shaped = policyPayloadV2.safeParse(withIdentity)
  if (!shaped.success) {
    // The gateway's field messages when the document has the policy's shape, else the contract's.
    let fields: FieldProblem[] = []
    try {
      fields = validatePolicy(withIdentity as PolicyV2, models)
    } catch {}
    throw new ConfigError(
      fields.length > 0
        ? fields.map((q) => `${where}: ${q.path}: ${q.message}`)
        : shaped.error.issues.map((i) => `${where}: ${i.path.join('.') || '(policy)'}: ${i.message}`),
    )
  }
  const p = shaped.data
  const policy: PolicyV2 = {
    ...p,
    costPer1kTokens: {
      edge: src.edgePrice ?? p.costPer1kTokens.edge,
      cloud: src.cloudPrice ?? p.costPer1kTokens.cloud,
    },
  }
  const problems = validatePolicy(policy, models)
  for (const [tier, row] of [
    ['edge', edge],
    ['cloud', cloud],
  ] as const)
    if (policy[tier].model !== row.name)
      problems.push({
        path: `${tier}.model`,
        message: `expected the ${tier} records' model ${row.name}; received ${JSON.stringify(policy[tier].model)}`,
      })
  if (problems.length > 0) throw new ConfigError(problems.map((q) => `${where}: ${q.path}: ${q.message}`))
  return policy
}

export type FrontierInputs = { set: CalibrationSet; base: PolicyV2 }

/**
 * Records, manifests and policy joined into the replay set (the gateway's calibrationSet, with
 * the manifests' latency) and the validated base policy.
 */
export async function loadFrontierInputs(o: {
  edge: string
  cloud: string
  modelsDir: string
  policy: PolicySource
}): Promise<FrontierInputs> {
  const edgeRecords = await readRecords(o.edge)
  const cloudRecords = await readRecords(o.cloud)
  const models = await readModels(o.modelsDir)
  const edge = modelOf(models, edgeRecords, o.edge, o.modelsDir)
  const cloud = modelOf(models, cloudRecords, o.cloud, o.modelsDir)
  const base = await basePolicy(o.policy, models, edge, cloud)
  const set = calibrationSet({
    edge: edgeRecords,
    cloud: cloudRecords,
    question: base.question,
    edgeLatencyMs: latencyOf(edge),
    cloudLatencyMs: latencyOf(cloud),
    dataset: `${o.edge} + ${o.cloud}, set ${edgeRecords.dataset.path}`,
  })
  return { set, base }
}
