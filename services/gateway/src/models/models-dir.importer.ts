import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Storage } from '../../../../lib/db/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import { readManifestFile, readScalingReportFile } from './report-files.ts'

export type ModelsDirImport = {
  /** Names of the manifests registered. */
  models: string[]
  /** Scaling report files seen, with the id they are stored under and whether this run stored them. */
  reports: { file: string; id: string; created: boolean }[]
  /** Files that could not be read or validated; startup goes on without them. */
  problems: { file: string; message: string }[]
}

/**
 * Registers `<dir>/<model>/manifest.json` and imports `<dir>/<model>/scaling*.json`. Imports are
 * idempotent, so this runs at every start. A missing `dir` imports nothing.
 */
export async function importModelsDir(dir: string, storage: Storage, log: Logger): Promise<ModelsDirImport> {
  const summary: ModelsDirImport = { models: [], reports: [], problems: [] }
  let entries: string[]
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return summary
    throw err
  }
  for (const name of entries.sort()) {
    const files = (await readdir(join(dir, name))).sort()
    for (const file of files) {
      const path = join(dir, name, file)
      try {
        if (file === 'manifest.json') {
          const manifest = await readManifestFile(path)
          await storage.models.register(manifest)
          summary.models.push(manifest.name)
        } else if (/^scaling.*\.json$/.test(file)) {
          const stored = await storage.scalingReports.import(await readScalingReportFile(path))
          summary.reports.push({ file: path, ...stored })
        }
      } catch (err) {
        if ((err as { code?: string }).code !== 'GATEWAY_IMPORT_INVALID') throw err
        log.warn({ file: path, reason: (err as Error).message }, 'skipped an invalid model file')
        summary.problems.push({ file: path, message: (err as Error).message })
      }
    }
  }
  return summary
}
