import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type CalibrationRecordsV1,
  calibrationRecordsV1,
} from '../../../../lib/contracts/calibration-records.v1.ts'
import type { ModelManifestV1 } from '../../../../lib/contracts/model-manifest.v1.ts'
import { type CalibrationSet, calibrationSet, ReplayError } from '../../../../lib/policy/replay/index.ts'
import { GatewayError } from '../errors.ts'
import { readManifestFile } from '../models/report-files.ts'

/** The per-image records of a model live next to its manifest under this name. */
export const calibrationFileName = 'calibration.json'

type ModelEntry = { dir: string; manifest: ModelManifestV1 }
type Loaded = { mtimeMs: number; records: CalibrationRecordsV1 }

/**
 * Finds and parses `<modelsDir>/<folder>/calibration.json` by model name (the manifest's `name`,
 * whatever the folder is called) and joins an edge and a cloud model's records into a replay set.
 * Parsed files and joined sets stay in memory; a file whose mtime changed is read again.
 */
export class CalibrationStore {
  private models: Promise<Map<string, ModelEntry>> | undefined
  private readonly files = new Map<string, Loaded>()
  private readonly sets = new Map<string, { stamp: string; set: CalibrationSet }>()

  constructor(private readonly modelsDir: string) {}

  /**
   * The replay set of an edge and a cloud model, with the cloud pass of `question` when recorded.
   * @throws GatewayError GATEWAY_REPLAY_NO_RECORDS when either model has no records (or they do not
   *   describe the same images)
   */
  async set(edgeModel: string, cloudModel: string, question: string | null): Promise<CalibrationSet> {
    const edge = await this.records(edgeModel)
    const cloud = await this.records(cloudModel)
    const key = JSON.stringify([edgeModel, cloudModel, question])
    const stamp = `${edge.path}@${edge.loaded.mtimeMs}|${cloud.path}@${cloud.loaded.mtimeMs}`
    const cached = this.sets.get(key)
    if (cached?.stamp === stamp) return cached.set
    const models = await this.modelIndex()
    const latency = (name: string): Record<string, number> => {
      const out: Record<string, number> = {}
      for (const [b, m] of Object.entries(models.get(name)?.manifest.metrics ?? {}))
        if (m.latencyMsPerImage !== undefined) out[b] = m.latencyMsPerImage
      return out
    }
    let set: CalibrationSet
    try {
      set = calibrationSet({
        edge: edge.loaded.records,
        cloud: cloud.loaded.records,
        question,
        edgeLatencyMs: latency(edgeModel),
        cloudLatencyMs: latency(cloudModel),
        dataset: `${edge.path} + ${cloud.path} (${edge.loaded.records.dataset.path}, ${edge.loaded.records.images.ids.length} images)`,
      })
    } catch (err) {
      if (err instanceof ReplayError)
        throw new GatewayError('GATEWAY_REPLAY_NO_RECORDS', err.message, false, { cause: err })
      throw err
    }
    this.sets.set(key, { stamp, set })
    return set
  }

  /** Whether a manifest with this name is in the models folder. */
  async hasModel(name: string): Promise<boolean> {
    return (await this.modelIndex()).has(name)
  }

  private async records(model: string): Promise<{ path: string; loaded: Loaded }> {
    const entry = (await this.modelIndex()).get(model)
    const path = entry ? join(entry.dir, calibrationFileName) : undefined
    const mtimeMs = path
      ? await stat(path).then(
          (s) => s.mtimeMs,
          () => undefined,
        )
      : undefined
    if (path === undefined || mtimeMs === undefined) {
      const where =
        path ?? `${this.modelsDir}/<folder>/${calibrationFileName} next to a manifest named ${model}`
      throw new GatewayError(
        'GATEWAY_REPLAY_NO_RECORDS',
        `no calibration records for model ${JSON.stringify(model)}: expected ${where} (written by npm run eval -- --model ${model} --data <labelled set> --per-image <file>)`,
      )
    }
    const cached = this.files.get(path)
    if (cached?.mtimeMs === mtimeMs) return { path, loaded: cached }
    let json: unknown
    try {
      json = JSON.parse(await readFile(path, 'utf8'))
    } catch (err) {
      throw new GatewayError(
        'GATEWAY_REPLAY_NO_RECORDS',
        `${path} is not readable JSON: ${(err as Error).message}`,
      )
    }
    const parsed = calibrationRecordsV1.safeParse(json)
    if (!parsed.success)
      throw new GatewayError(
        'GATEWAY_REPLAY_NO_RECORDS',
        `${path} is not valid tokenline.calibration-records.v1: ${parsed.error.issues
          .slice(0, 5)
          .map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`)
          .join('; ')}`,
      )
    if (parsed.data.model !== model)
      throw new GatewayError(
        'GATEWAY_REPLAY_NO_RECORDS',
        `${path} holds records of ${parsed.data.model}, expected ${model}`,
      )
    const loaded = { mtimeMs, records: parsed.data }
    this.files.set(path, loaded)
    return { path, loaded }
  }

  /** Model name → folder and manifest, read once (the gateway imports the same folder at start). */
  private modelIndex(): Promise<Map<string, ModelEntry>> {
    this.models ??= (async () => {
      const index = new Map<string, ModelEntry>()
      let folders: string[]
      try {
        folders = (await readdir(this.modelsDir, { withFileTypes: true }))
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return index
        throw err
      }
      for (const folder of folders.sort()) {
        const dir = join(this.modelsDir, folder)
        try {
          const manifest = await readManifestFile(join(dir, 'manifest.json'))
          index.set(manifest.name, { dir, manifest })
        } catch {
          // A folder without a valid manifest holds no model; the importer reports it at start.
        }
      }
      return index
    })()
    return this.models
  }
}
