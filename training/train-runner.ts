/**
 * What `npm run train` does: bring every split to token tensors (lib/vision's tokenizer, the
 * serving code path), run training/train.py once per role, then check the exported ONNX file
 * against PyTorch's outputs with onnxruntime-node and record the result in the manifest.
 */
import { spawn } from 'node:child_process'
import { access } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Dataset, openDataset } from '../lib/vision/dataset/open-dataset.ts'
import { writeTokenTensors } from '../lib/vision/dataset/write-tokens.ts'
import { checkOnnx, type OnnxCheck, recordOnnxCheck } from './onnx-check.ts'
import { budgetWeightsFor, rolePresets, type TrainOptions, type TrainRole } from './train-options.ts'

const trainScript = join(dirname(fileURLToPath(import.meta.url)), 'train.py')

/** One model produced by a run. */
export type TrainedModel = { role: TrainRole; name: string; dir: string; onnxCheck: OnnxCheck }

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
): Promise<{ train: string; val: string; test?: string }> {
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
    val = await tokenize(
      subset(all, (i) => heldOut(all.items[i]!.id)),
      join(options.work, 'tensors', 'val'),
      options,
      hooks,
    )
  }
  const test = options.test ? await asTensors(options.test, 'test') : undefined
  return test ? { train, val, test } : { train, val }
}

/** Arguments for training/train.py for one role. */
export function pythonArgs(
  options: TrainOptions,
  role: TrainRole,
  tensors: { train: string; val: string; test?: string },
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

/** Trains every requested role in turn and checks each export; returns the model folders. */
export async function runTraining(options: TrainOptions, command: string, hooks: TrainHooks = {}) {
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
  return models
}
