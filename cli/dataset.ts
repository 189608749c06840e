/**
 * npm run dataset -- --out <dir> --count <n> --seed <s> [--size 256] [--workers 2] [--second-defect 0]
 *
 * Seeded DAGM-2007-like surface images (see lib/vision/dataset). Splits use disjoint seed ranges:
 * train from 0, val from 1000000, test from 2000000. `--second-defect p` gives each defect image a
 * second defect of another class with probability p (the image is named by the more severe one;
 * labels.jsonl records the other under `also`, with its own mask in masks2/).
 */
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { SingleBar } from 'cli-progress'
import { ConfigError } from '../lib/config/index.ts'
import { runMain } from '../lib/lifecycle/index.ts'
import { writeDataset } from '../lib/vision/dataset/write-dataset.ts'

function intArg(name: string, raw: string | undefined, min: number, problems: string[]): number {
  const value = Number(raw)
  if (raw === undefined || !Number.isSafeInteger(value) || value < min) {
    problems.push(`expected an integer >= ${min} for --${name} but received ${raw ?? 'nothing'}`)
  }
  return value
}

runMain('dataset', async () => {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      count: { type: 'string' },
      seed: { type: 'string', default: '0' },
      size: { type: 'string', default: '256' },
      workers: { type: 'string', default: String(Math.min(2, availableParallelism())) },
      'second-defect': { type: 'string', default: '0' },
    },
    strict: true,
  })
  const problems: string[] = []
  if (!values.out) problems.push('expected a directory for --out but received nothing')
  const count = intArg('count', values.count, 1, problems)
  const seed = intArg('seed', values.seed, 0, problems)
  const size = intArg('size', values.size, 32, problems)
  const workers = intArg('workers', values.workers, 1, problems)
  const secondDefect = Number(values['second-defect'])
  if (!(secondDefect >= 0 && secondDefect <= 1))
    problems.push(
      `expected a probability in [0, 1] for --second-defect but received ${values['second-defect']}`,
    )
  if (problems.length > 0) throw new ConfigError(problems)
  const bar = new SingleBar({
    format: 'dataset [{bar}] {value}/{total} {percentage}% | {rate} img/s | eta {eta}s',
    stream: process.stderr,
  })
  bar.start(count, 0, { rate: '0' })
  const t0 = Date.now()
  const result = await writeDataset({
    out: values.out!,
    count,
    seed,
    size,
    workers,
    secondDefect,
    onProgress: (done) => {
      if (done % 50 === 0 || done === count)
        bar.update(done, { rate: ((done * 1000) / (Date.now() - t0 + 1)).toFixed(0) })
    },
  })
  bar.stop()
  process.stderr.write(
    `dataset: wrote ${result.count} images (seeds ${seed}..${seed + count - 1}) to ${values.out} in ${result.seconds.toFixed(1)} s (${(result.count / result.seconds).toFixed(0)} img/s)\n`,
  )
})
