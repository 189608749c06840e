import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelManifestV1 } from '../../../../lib/contracts/model-manifest.v1.ts'
import { type LoadedModel, loadModel, parseManifest } from '../../../../lib/inference/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'

export type EdgeModels = {
  /** Edge models with their ONNX files (checked against the manifest's sha256), to run here. */
  edge: Map<string, LoadedModel>
  /** Cloud manifests only: the edge resizes escalations for them and never runs them. */
  cloud: Map<string, ModelManifestV1>
}

/** Scans `<dir>/<model>/manifest.json`; a folder that fails to load is logged and skipped. */
export async function scanModels(dir: string, log: Logger): Promise<EdgeModels> {
  const out: EdgeModels = { edge: new Map(), cloud: new Map() }
  const entries = await readdir(dir, { withFileTypes: true })
  for (const entry of entries) {
    if (!entry.isDirectory()) continue
    const folder = join(dir, entry.name)
    const manifestPath = join(folder, 'manifest.json')
    try {
      const manifest = parseManifest(JSON.parse(await readFile(manifestPath, 'utf8')), manifestPath)
      if (manifest.role === 'edge') out.edge.set(manifest.name, await loadModel(folder))
      else out.cloud.set(manifest.name, manifest)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      log.warn({ folder, err: (err as Error).message }, 'model folder skipped')
    }
  }
  return out
}
