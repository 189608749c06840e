import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { z } from 'zod'
import type { budgetMetricsV1 } from '../contracts/model-manifest.v1.ts'
import { writeFileAtomic } from '../fs/write-file-atomic.ts'
import { parseManifest } from './model.loader.ts'

export type BudgetMetrics = z.input<typeof budgetMetricsV1>

/**
 * Stores measured metrics (key = budget) and the command that measured them in
 * `<dir>/manifest.json`. Every other field is kept as written, so sha256 stays valid: the ONNX file
 * is not touched. The result is validated before it replaces the old file (write + rename).
 */
export async function writeManifestMetrics(
  dir: string,
  metrics: Record<string, BudgetMetrics>,
  measuredWith: string,
): Promise<void> {
  const path = join(dir, 'manifest.json')
  const raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
  const next = { ...raw, metrics, measuredWith }
  parseManifest(next, path)
  await writeFileAtomic(path, `${JSON.stringify(next, null, 2)}\n`)
}
