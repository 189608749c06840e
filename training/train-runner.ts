/**
 * What `npm run train` does: bring every split to token tensors (lib/vision's tokenizer, the
 * serving code path), run training/train.py once per role, then check the exported ONNX file
 * against PyTorch's outputs with onnxruntime-node and record the result in the manifest.
 */
import { spawn } from 'node:child_process'
import { access, readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadModel } from '../lib/inference/model.loader.ts'
import { nativeBudget } from '../lib/scaling/native-resolution.ts'
import { runScaling, type ScalingPass } from '../lib/scaling/scaling-run.ts'
import { medianImageSize } from '../lib/vision/dataset/image-size.ts'
import { type Dataset, openDataset } from '../lib/vision/dataset/open-dataset.ts'
import { type TokenTensorMeta, writeTokenTensors } from '../lib/vision/dataset/write-tokens.ts'
import { checkOnnx, type OnnxCheck, recordOnnxCheck } from './onnx-check.ts'
import { budgetWeightsFor, rolePresets, type TrainOptions, type TrainRole } from './train-options.ts'

const trainScript = join(dirname(fileURLToPath(import.meta.url)), 'train.py')
const baselineScript = join(dirname(fileURLToPath(import.meta.url)), 'baseline.py')

/** One model produced by a run. */
export type TrainedModel = {
  role: TrainRole
  name: string
  dir: string
  onnxCheck: OnnxCheck
  /** The eval of the exported model on the test folder (or the held-out fifth), when it has images. */
  evaluation?: ScalingPass
}

/** What training/baseline.py writes: plain models on the same tensors at one budget. */
export type BaselineResult = {
  budget: number
  imageSide: number
  models: Record<
    string,
    { valAccuracy: number; testAccuracy?: number; seconds: number; epochs: number; parameters: number }
  >
}

/** Tensor folders for the three splits, and the images the exported models are evaluated on. */
export type PreparedTensors = { train: string; val: string; test?: string; evalSet?: Dataset }

export type TrainHooks = {
  /** Progress of the current phase: done/total in the phase's unit (images or seconds). */
  onPhase?: (phase: string, total: number) => void
  onProgress?: (done: number) => void
  /** Every line train.py prints. */
  onLog?: (line: string) => void
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

/** FNV-1a of an image id: a held-out choice that ignores file order (generated ids cycle classes). */
export function heldOut(id: string): boolean {
  let h = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h % 5 === 0
}

function subset(dataset: Dataset, keep: (i: number) => boolean): Dataset {
  return {
    ...dataset,
    items: dataset.items.filter((_, i) => keep(i)),
    ...(dataset.generated ? { generated: dataset.generated.filter((_, i) => keep(i)) } : {}),
  }
}

async function tokenize(
  dataset: Dataset,
  out: string,
  options: TrainOptions,
  hooks: TrainHooks,
): Promise<string> {
  hooks.onPhase?.(`tokenize ${out}`, dataset.items.length)
  await writeTokenTensors({
    dataset,
    out,
    budgets: options.budgets,
    patchSize: options.patchSize,
    channels: options.channels,
    concurrency: 2,
    onProgress: hooks.onProgress,
  })
  return out
}

/**
 * Tensor folders for train / val / test. A folder with meta.json is used as it is; anything else
 * is opened as a dataset and tokenized under `<work>/tensors/`. Without `val`, a fifth of the images of
 * `data`, chosen by a hash of the image id, is held out for validation (temperatures are fitted there).
 */
export async function prepareTensors(
  options: TrainOptions,
  hooks: TrainHooks = {},
): Promise<PreparedTensors> {
  const ready = async (dir: string) => exists(join(dir, 'meta.json'))
  const asTensors = async (dir: string, split: string): Promise<string> => {
    if (await ready(dir)) return dir
    return tokenize(
      await openDataset(dir, options.labels),
      join(options.work, 'tensors', split),
      options,
      hooks,
    )
  }
  let train: string
  let val: string
  let heldOutSet: Dataset | undefined
  if (options.val) {
    train = await asTensors(options.data, 'train')
    val = await asTensors(options.val, 'val')
  } else {
    if (await ready(options.data)) {
      throw new Error(
        `expected --val with a tensor folder for --data (${options.data}); a held-out split is needed for calibration`,
      )
    }
    const all = await openDataset(options.data, options.labels)
    train = await tokenize(
      subset(all, (i) => !heldOut(all.items[i]!.id)),
      join(options.work, 'tensors', 'train'),
      options,
      hooks,
    )
    heldOutSet = subset(all, (i) => heldOut(all.items[i]!.id))
    val = await tokenize(heldOutSet, join(options.work, 'tensors', 'val'), options, hooks)
  }
  const test = options.test ? await asTensors(options.test, 'test') : undefined
  const testSet =
    options.test && !(await ready(options.test)) ? await openDataset(options.test, options.labels) : undefined
  const evalSet = testSet ?? (options.test ? undefined : heldOutSet)
  return { train, val, ...(test ? { test } : {}), ...(evalSet ? { evalSet } : {}) }
}

/** Arguments for training/train.py for one role. */
export function pythonArgs(
  options: TrainOptions,
  role: TrainRole,
  tensors: PreparedTensors,
  command: string,
): string[] {
  const preset = rolePresets[role]
  const args = [
    trainScript,
    '--train',
    tensors.train,
    '--val',
    tensors.val,
    '--role',
    role,
    '--name',
    options.names[role],
    '--out',
    join(options.out, options.names[role]),
    '--work',
    join(options.work, role),
    '--minutes',
    String(options.minutes),
    '--max-steps',
    String(options.maxSteps),
    '--budgets',
    options.budgets.join(','),
    '--budget-weights',
    budgetWeightsFor(role, options.budgets).join(','),
    '--width',
    String(options.width ?? preset.width),
    '--depth',
    String(options.depth ?? preset.depth),
    '--heads',
    String(options.heads ?? preset.heads),
    '--batch',
    String(options.batch),
    '--threads',
    String(options.threads),
    '--command',
    command,
  ]
  if (tensors.test) args.push('--test', tensors.test)
  if (options.recipe !== 'auto') args.push('--recipe', options.recipe)
  return args
}

/** Arguments for training/baseline.py: same tensors, same minutes, at `budget`. */
export function baselineArgs(options: TrainOptions, tensors: PreparedTensors, budget: number): string[] {
  const args = [
    baselineScript,
    '--train',
    tensors.train,
    '--val',
    tensors.val,
    '--budget',
    String(budget),
    '--minutes',
    String(options.minutes),
    '--threads',
    String(options.threads),
    '--out',
    join(options.work, 'baseline.json'),
  ]
  if (tensors.test) args.push('--test', tensors.test)
  return args
}

function runPython(python: string, args: string[], minutes: number, hooks: TrainHooks): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let tail = ''
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8')
      tail = (tail + text).slice(-4000)
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue
        hooks.onLog?.(line)
        const t = /\bt=(\d+)s\b/.exec(line)
        if (t) hooks.onProgress?.(Math.min(Number(t[1]), minutes * 60))
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', (err) =>
      reject(
        new Error(`expected to run ${python} (python3 with torch and onnx): ${err.message}`, { cause: err }),
      ),
    )
    child.on('close', (code) => {
      if (code === 0) resolvePromise()
      else reject(new Error(`training/train.py exited with ${code}; last output:\n${tail}`))
    })
  })
}

/**
 * Trains every requested role in turn and checks each export; then evaluates each model through
 * the serving path on the test folder (or the held-out fifth of --data) and, with
 * `options.baseline`, trains the plain baselines for the same minutes at the native budget.
 */
export async function runTraining(
  options: TrainOptions,
  command: string,
  hooks: TrainHooks = {},
): Promise<{ models: TrainedModel[]; baseline?: BaselineResult }> {
  const tensors = await prepareTensors(options, hooks)
  const models: TrainedModel[] = []
  for (const role of options.roles) {
    hooks.onPhase?.(`train ${options.names[role]} (s)`, Math.round(options.minutes * 60))
    await runPython(options.python, pythonArgs(options, role, tensors, command), options.minutes, hooks)
    const dir = resolve(options.out, options.names[role])
    const onnxCheck = await checkOnnx(dir, join(options.work, role, 'golden.json'))
    await recordOnnxCheck(dir, onnxCheck)
    models.push({ role, name: options.names[role], dir, onnxCheck })
  }
  let baseline: BaselineResult | undefined
  if (options.baseline) {
    const meta = JSON.parse(await readFile(join(tensors.train, 'meta.json'), 'utf8')) as TokenTensorMeta
    const budget = meta.nativeSize
      ? nativeBudget(options.budgets, options.patchSize, meta.nativeSize)
      : Math.min(...options.budgets)
    hooks.onPhase?.('baseline (s)', Math.round(options.minutes * 60))
    await runPython(options.python, baselineArgs(options, tensors, budget), options.minutes, hooks)
    baseline = JSON.parse(await readFile(join(options.work, 'baseline.json'), 'utf8')) as BaselineResult
  }
  if (tensors.evalSet && tensors.evalSet.items.length > 0) {
    const set = tensors.evalSet
    const size = await medianImageSize(set.items)
    for (const m of models) {
      hooks.onPhase?.(`eval ${m.name}`, set.items.length * options.budgets.length)
      const [pass] = await runScaling({
        model: await loadModel(m.dir),
        items: set.items,
        dataset: { path: set.dir, description: options.test ? 'test folder' : 'held-out fifth of --data' },
        budgets: options.budgets,
        command,
        pool: { intraOpNumThreads: options.threads },
        onProgress: (done) => hooks.onProgress?.(done),
        native: { size },
      })
      if (pass) m.evaluation = pass
    }
  }
  return baseline ? { models, baseline } : { models }
}
