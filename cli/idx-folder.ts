/**
 * npm run dataset:idx -- --out <dir> [--source /usr/share/datasets/fashion-mnist]
 *                        [--train-per-class 300] [--test-per-class 100] [--classes a,b,…]
 *
 * Turns an IDX data set (default: Debian's dataset-fashion-mnist) into labelled folders
 * `<out>/train/<class>/*.png` and `<out>/test/<class>/*.png`, the layout `npm run train -- --data`
 * reads: the first n images of each class in file order (balanced, deterministic).
 * Expects train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-… in --source.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError } from '../lib/config/index.ts'
import { runMain } from '../lib/lifecycle/index.ts'
import { fashionMnistClasses, writeIdxFolder } from '../lib/vision/dataset/idx-folder.ts'

runMain('dataset:idx', async () => {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      source: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
      'train-per-class': { type: 'string', default: '300' },
      'test-per-class': { type: 'string', default: '100' },
      classes: { type: 'string', default: fashionMnistClasses.join(',') },
    },
    strict: true,
  })
  const problems: string[] = []
  if (!values.out) problems.push('expected an output folder for --out but received nothing')
  const count = (flag: string, raw: string) => {
    const v = Number(raw)
    if (!Number.isSafeInteger(v) || v < 0)
      problems.push(`expected an integer >= 0 for --${flag} but received ${raw}`)
    return v
  }
  const train = count('train-per-class', values['train-per-class'])
  const test = count('test-per-class', values['test-per-class'])
  if (problems.length > 0) throw new ConfigError(problems)
  const classes = values.classes.split(',').map((c) => c.trim())
  for (const [split, file, perClass] of [
    ['train', 'train', train],
    ['test', 't10k', test],
  ] as const) {
    if (perClass === 0) continue
    const written = await writeIdxFolder({
      images: join(values.source, `${file}-images-idx3-ubyte.gz`),
      labels: join(values.source, `${file}-labels-idx1-ubyte.gz`),
      out: join(values.out!, split),
      perClass,
      classes,
    })
    const total = Object.values(written).reduce((a, b) => a + b, 0)
    process.stdout.write(
      `dataset:idx: ${total} images in ${classes.length} classes → ${join(values.out!, split)}\n`,
    )
  }
})
