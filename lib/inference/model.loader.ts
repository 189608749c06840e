import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import { type ModelManifestV1, modelManifestV1 } from '../contracts/model-manifest.v1.ts'
import { describeValue } from '../errors/index.ts'
import { InferenceError } from './errors.ts'

/** A model whose manifest validated and whose ONNX file matches the manifest's sha256. */
export interface LoadedModel {
  /** Absolute folder holding manifest.json. */
  readonly dir: string
  /** Absolute path of the ONNX file. */
  readonly onnxPath: string
  readonly manifest: ModelManifestV1
}

/** Hex sha256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/**
 * Parses a manifest object; every invalid field is listed in one INFERENCE_MANIFEST_INVALID error.
 * @param source where it came from, for the message
 */
export function parseManifest(raw: unknown, source: string): ModelManifestV1 {
  const result = modelManifestV1.safeParse(raw)
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    throw new InferenceError(
      'INFERENCE_MANIFEST_INVALID',
      `Expected a tokenline.model-manifest.v1 in ${source} but ${problems.length} field(s) are invalid: ${problems.join('; ')}`,
    )
  }
  const m = result.data
  const io = m.io
  if (m.role === 'cloud' && m.question && !io.question)
    throw new InferenceError(
      'INFERENCE_MANIFEST_INVALID',
      `Expected io.question in ${source} because the manifest declares a question vocabulary`,
    )
  if (io.question && !m.question)
    throw new InferenceError(
      'INFERENCE_MANIFEST_INVALID',
      `Expected question.vocab and question.maxLength in ${source} because io.question is set`,
    )
  const width = m.channels
  if (m.normalisation.mean.length !== width || m.normalisation.std.length !== width)
    throw new InferenceError(
      'INFERENCE_MANIFEST_INVALID',
      `Expected normalisation.mean and normalisation.std of length channels=${width} in ${source} but received ${m.normalisation.mean.length} and ${m.normalisation.std.length}`,
    )
  return m
}

/**
 * Reads `<dir>/manifest.json`, validates it, hashes the ONNX file and refuses a mismatch.
 * @throws InferenceError INFERENCE_MANIFEST_MISSING | INFERENCE_MANIFEST_INVALID |
 *   INFERENCE_MODEL_FILE_MISSING | INFERENCE_MODEL_HASH_MISMATCH
 */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const absDir = resolve(dir)
  const manifestPath = join(absDir, 'manifest.json')
  let text: string
  try {
    text = await readFile(manifestPath, 'utf8')
  } catch (err) {
    throw new InferenceError('INFERENCE_MANIFEST_MISSING', `Expected a model manifest at ${manifestPath}`, {
      cause: err,
    })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new InferenceError(
      'INFERENCE_MANIFEST_INVALID',
      `Expected JSON in ${manifestPath}: ${(err as Error).message}`,
      { cause: err },
    )
  }
  const manifest = parseManifest(raw, manifestPath)
  const onnxPath = isAbsolute(manifest.file) ? manifest.file : join(absDir, manifest.file)
  try {
    const s = await stat(onnxPath)
    if (!s.isFile()) throw new Error('not a regular file')
  } catch (err) {
    throw new InferenceError(
      'INFERENCE_MODEL_FILE_MISSING',
      `Expected the ONNX file named by manifest.file at ${onnxPath}`,
      { cause: err },
    )
  }
  const actual = await sha256File(onnxPath)
  if (actual !== manifest.sha256)
    throw new InferenceError(
      'INFERENCE_MODEL_HASH_MISMATCH',
      `Expected ${onnxPath} to have sha256 ${manifest.sha256} (from ${manifestPath}) but it has ${actual}; refusing to serve a model its manifest does not describe`,
    )
  return { dir: absDir, onnxPath, manifest }
}

/**
 * Resolves `--model` style arguments: an existing folder path, else `<modelsRoot>/<name>`.
 * @param modelsRoot default `models`
 */
export async function resolveModelDir(nameOrDir: string, modelsRoot = 'models'): Promise<string> {
  const candidates = nameOrDir.includes('/') ? [nameOrDir] : [join(modelsRoot, nameOrDir), nameOrDir]
  for (const c of candidates) {
    try {
      if ((await stat(join(c, 'manifest.json'))).isFile()) return resolve(c)
    } catch {}
  }
  throw new InferenceError(
    'INFERENCE_MODEL_NOT_FOUND',
    `Expected model to name a folder with manifest.json (tried ${candidates.join(', ')}) but received ${describeValue(nameOrDir)}`,
  )
}

/**
 * Refuses a budget the manifest does not list.
 * @throws InferenceError INFERENCE_BUDGET_UNSUPPORTED
 */
export function checkBudget(manifest: ModelManifestV1, budget: number): void {
  if (!manifest.budgets.includes(budget))
    throw new InferenceError(
      'INFERENCE_BUDGET_UNSUPPORTED',
      `Expected budget to be one of ${manifest.budgets.join(', ')} for model ${manifest.name} but received ${describeValue(budget)}`,
    )
}

/** Calibration temperature for a budget; 1 when the manifest has none. */
export function temperatureFor(manifest: ModelManifestV1, budget: number): number {
  return manifest.temperatures[String(budget)] ?? 1
}

/** Floats per token: patchSize² × channels. */
export function tokenWidth(manifest: ModelManifestV1): number {
  return manifest.patchSize * manifest.patchSize * manifest.channels
}
