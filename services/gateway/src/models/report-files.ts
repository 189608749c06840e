import { readFile } from 'node:fs/promises'
import type { z } from 'zod'
import { type ModelManifestV1, modelManifestV1 } from '../../../../lib/contracts/model-manifest.v1.ts'
import { type ScalingReportV1, scalingReportV1 } from '../../../../lib/contracts/scaling-report.v1.ts'
import { GatewayError } from '../errors.ts'

/** Reads and validates a `tokenline.scaling-report.v1` JSON file; GATEWAY_IMPORT_INVALID lists every problem. */
export function readScalingReportFile(path: string): Promise<ScalingReportV1> {
  return readJsonFile(path, scalingReportV1, 'tokenline.scaling-report.v1')
}

/** Reads and validates a `tokenline.model-manifest.v1` JSON file. */
export function readManifestFile(path: string): Promise<ModelManifestV1> {
  return readJsonFile(path, modelManifestV1, 'tokenline.model-manifest.v1')
}

async function readJsonFile<S extends z.ZodType>(
  path: string,
  schema: S,
  what: string,
): Promise<z.output<S>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new GatewayError(
      'GATEWAY_IMPORT_INVALID',
      `cannot read ${path}: ${(err as Error).message}`,
      false,
      {
        cause: err,
      },
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new GatewayError('GATEWAY_IMPORT_INVALID', `${path} is not JSON: ${(err as Error).message}`)
  }
  const result = schema.safeParse(json)
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`)
    throw new GatewayError(
      'GATEWAY_IMPORT_INVALID',
      `${path} is not a valid ${what}:\n  - ${problems.slice(0, 20).join('\n  - ')}${problems.length > 20 ? `\n  - … ${problems.length - 20} more` : ''}`,
    )
  }
  return result.data
}
