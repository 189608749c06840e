/**
 * npm run train -- --data <dir> [--val <dir>] [--test <dir>] [--role both|edge|cloud]
 *                  [--out models] [--name <base>] [--minutes 30] [--budgets 16,36,64,100,144,196,256] [--patch 8]
 *
 * <dir> is a tokenized folder (meta.json), a generated dataset (labels.jsonl) or a labelled folder
 * <dir>/<class>/*.png|jpg (a plant's own images). Writes <out>/<name>/model.onnx + manifest.json
 * per role; see training/train-runner.ts and training/train.py.
 */
import { SingleBar } from 'cli-progress'
import { runMain } from '../lib/lifecycle/index.ts'
import { loadTrainOptions } from '../training/train-options.ts'
import { runTraining } from '../training/train-runner.ts'

runMain('train', async () => {
  const argv = process.argv.slice(2)
  const options = loadTrainOptions(argv)
  const command = `npm run train -- ${argv.join(' ')}`
  const bar = new SingleBar({
    format: '{phase} [{bar}] {value}/{total} {percentage}% | eta {eta}s',
    stream: process.stderr,
  })
  let active = false
  const models = await runTraining(options, command, {
    onPhase: (phase, total) => {
      if (active) bar.stop()
      bar.start(total, 0, { phase })
      active = true
    },
    onProgress: (done) => bar.update(done),
    onLog: (line) => {
      if (!/^\S+ step \d+ /.test(line)) process.stderr.write(`\n${line}\n`)
    },
  })
  if (active) bar.stop()
  for (const m of models) {
    process.stdout.write(
      `train: ${m.role} model ${m.name} → ${m.dir} (ONNX vs PyTorch max |diff| ${m.onnxCheck.maxAbsDiff.toExponential(2)})\n`,
    )
  }
})
