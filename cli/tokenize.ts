/**
 * npm run tokenize -- --data <dir> [--budgets 16,36,64,100,144,196,256] --patch 8 --out <outdir>
 *                     [--labels ok,scratch,pit,stain,crack] [--channels 1] [--concurrency 4]
 *
 * Writes training tensors through the serving code path; formats in lib/vision/dataset/write-tokens.ts.
 * The default budgets are the training ladder (training/train-options.ts defaultBudgets).
 * <dir> is a generated dataset (labels.jsonl) or a labelled folder <dir>/<class>/*.png|jpg.
 */
import { parseArgs } from 'node:util'
import { SingleBar } from 'cli-progress'
import { ConfigError } from '../lib/config/index.ts'
import { runMain } from '../lib/lifecycle/index.ts'
import { openDataset } from '../lib/vision/dataset/open-dataset.ts'
import { writeTokenTensors } from '../lib/vision/dataset/write-tokens.ts'
import { gridSide } from '../lib/vision/spec.ts'
import { defaultBudgets } from '../training/train-options.ts'

runMain('tokenize', async () => {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      out: { type: 'string' },
      budgets: { type: 'string', default: defaultBudgets.join(',') },
      patch: { type: 'string', default: '8' },
      labels: { type: 'string' },
      channels: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '4' },
    },
    strict: true,
  })
  const problems: string[] = []
  if (!values.data) problems.push('expected a dataset directory for --data but received nothing')
  if (!values.out) problems.push('expected an output directory for --out but received nothing')
  const budgets = values.budgets.split(',').map((s) => Number(s.trim()))
  for (const b of budgets) {
    if (gridSide(b) === undefined)
      problems.push(`expected perfect-square budgets for --budgets but received ${b}`)
  }
  const patch = Number(values.patch)
  if (!Number.isSafeInteger(patch) || patch <= 0) {
    problems.push(`expected a positive integer for --patch but received ${values.patch}`)
  }
  const channels = Number(values.channels)
  if (channels !== 1 && channels !== 3)
    problems.push(`expected 1 or 3 for --channels but received ${values.channels}`)
  const concurrency = Number(values.concurrency)
  if (!Number.isSafeInteger(concurrency) || concurrency <= 0) {
    problems.push(`expected a positive integer for --concurrency but received ${values.concurrency}`)
  }
  if (problems.length > 0) throw new ConfigError(problems)
  const labels = values.labels?.split(',').map((s) => s.trim())
  const dataset = await openDataset(values.data!, labels)
  const bar = new SingleBar({
    format: 'tokenize [{bar}] {value}/{total} {percentage}% | {rate} img/s | eta {eta}s',
    stream: process.stderr,
  })
  const t0 = Date.now()
  bar.start(dataset.items.length, 0, { rate: '0' })
  const meta = await writeTokenTensors({
    dataset,
    out: values.out!,
    budgets,
    patchSize: patch,
    channels: channels as 1 | 3,
    concurrency,
    onProgress: (done) => {
      if (done % 50 === 0 || done === dataset.items.length) {
        bar.update(done, { rate: ((done * 1000) / (Date.now() - t0 + 1)).toFixed(0) })
      }
    },
  })
  bar.stop()
  const seconds = (Date.now() - t0) / 1000
  process.stderr.write(
    `tokenize: ${meta.count} ${dataset.kind} images × budgets [${budgets.join(', ')}] → ${values.out} in ${seconds.toFixed(1)} s (${(meta.count / seconds).toFixed(0)} img/s), masks: ${meta.hasMasks}, labels: [${meta.labels.join(', ')}]\n`,
  )
})
