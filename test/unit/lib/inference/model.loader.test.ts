import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { InferenceError } from '../../../../lib/inference/errors.ts'
import { writeManifestMetrics } from '../../../../lib/inference/manifest.writer.ts'
import {
  checkBudget,
  loadModel,
  resolveModelDir,
  temperatureFor,
} from '../../../../lib/inference/model.loader.ts'

const fixture = join(import.meta.dirname, '../../../fixtures/models/tiny')

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokenline-model-'))
  await cp(fixture, dir, { recursive: true })
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function editManifest(edit: (m: Record<string, unknown>) => void): Promise<void> {
  const path = join(dir, 'manifest.json')
  const m = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
  edit(m)
  await writeFile(path, JSON.stringify(m))
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(InferenceError)
    return (err as InferenceError).code
  }
  throw new Error('expected a rejection')
}

describe('loadModel', () => {
  it('loads the fixture and applies manifest defaults', async () => {
    const m = await loadModel(dir)
    expect(m.manifest.name).toBe('tiny')
    expect(m.onnxPath).toBe(join(dir, 'model.onnx'))
    expect(temperatureFor(m.manifest, 16)).toBe(1.25)
    expect(temperatureFor(m.manifest, 9)).toBe(1)
  })

  it('refuses a manifest whose sha256 does not match the ONNX file', async () => {
    await editManifest((m) => {
      m.sha256 = '0'.repeat(64)
    })
    await expect(loadModel(dir)).rejects.toMatchObject({
      code: 'INFERENCE_MODEL_HASH_MISMATCH',
      retriable: false,
    })
  })

  it('refuses an altered ONNX file', async () => {
    const onnx = await readFile(join(dir, 'model.onnx'))
    onnx.writeUInt8(onnx.readUInt8(onnx.length - 1) ^ 1, onnx.length - 1)
    await writeFile(join(dir, 'model.onnx'), onnx)
    expect(await codeOf(loadModel(dir))).toBe('INFERENCE_MODEL_HASH_MISMATCH')
  })

  it('lists every invalid field at once', async () => {
    await editManifest((m) => {
      m.patchSize = -4
      m.labels = ['only-one']
      m.budgets = [15]
    })
    const err = (await loadModel(dir).catch((e: unknown) => e)) as InferenceError
    expect(err.code).toBe('INFERENCE_MANIFEST_INVALID')
    expect(err.message).toMatch(/patchSize/)
    expect(err.message).toMatch(/labels/)
    expect(err.message).toMatch(/budgets/)
  })

  it('names a missing manifest and a missing ONNX file', async () => {
    expect(await codeOf(loadModel(join(dir, 'nowhere')))).toBe('INFERENCE_MANIFEST_MISSING')
    await editManifest((m) => {
      m.file = 'absent.onnx'
    })
    expect(await codeOf(loadModel(dir))).toBe('INFERENCE_MODEL_FILE_MISSING')
  })

  it('rejects a manifest that is not JSON', async () => {
    await writeFile(join(dir, 'manifest.json'), '{"schema": ')
    expect(await codeOf(loadModel(dir))).toBe('INFERENCE_MANIFEST_INVALID')
  })
})

describe('checkBudget', () => {
  it('accepts listed budgets and refuses others with the list', async () => {
    const { manifest } = await loadModel(dir)
    expect(() => checkBudget(manifest, 16)).not.toThrow()
    expect(() => checkBudget(manifest, 256)).toThrow(/one of 4, 16, 64/)
    try {
      checkBudget(manifest, 256)
    } catch (err) {
      expect((err as InferenceError).code).toBe('INFERENCE_BUDGET_UNSUPPORTED')
    }
  })
})

describe('resolveModelDir', () => {
  it('finds a name under the models root and a folder path', async () => {
    expect(await resolveModelDir('tiny', join(fixture, '..'))).toBe(fixture)
    expect(await resolveModelDir(dir)).toBe(dir)
    expect(await codeOf(resolveModelDir('no-such-model', dir))).toBe('INFERENCE_MODEL_NOT_FOUND')
  })
})

describe('writeManifestMetrics', () => {
  it('stores metrics and the command, keeps every other field and the hash valid', async () => {
    const before = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))
    await writeManifestMetrics(
      dir,
      { '16': { accuracy: 0.5, perClassRecall: { ok: 1, scratch: 0 }, samples: 10, ece: 0.1 } },
      'npm run eval -- --model tiny',
    )
    const after = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))
    expect(after.metrics['16'].accuracy).toBe(0.5)
    expect(after.measuredWith).toBe('npm run eval -- --model tiny')
    expect({ ...after, metrics: before.metrics, measuredWith: undefined }).toEqual({
      ...before,
      measuredWith: undefined,
    })
    await expect(loadModel(dir)).resolves.toBeDefined()
  })

  it('refuses metrics the schema rejects and leaves the file alone', async () => {
    const before = await readFile(join(dir, 'manifest.json'), 'utf8')
    await expect(
      writeManifestMetrics(dir, { '16': { accuracy: 2, perClassRecall: {}, samples: 1 } }, 'x'),
    ).rejects.toMatchObject({ code: 'INFERENCE_MANIFEST_INVALID' })
    expect(await readFile(join(dir, 'manifest.json'), 'utf8')).toBe(before)
  })
})
