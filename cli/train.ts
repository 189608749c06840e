/**
 * npm run train -- --data <dir> [--val <dir>] [--test <dir>] [--role both|edge|cloud]
 *                  [--out models] [--name <base>] [--minutes 30] [--budgets 16,36,64,100,144,196,256] [--patch 8]
 *                  [--recipe auto|masks|labels] [--baseline] [--threads 2]
 *
 * Without masks (a plant's own folder) an edge model is trained with the labels recipe
 * (training/labels_recipe.py): one progress line per epoch, early stopping on the validation split.
 * With --test <folder>, or else on the held-out fifth of --data, every model then goes through
 * the eval (ONNX, the serving path) and its table is printed, upsampled budgets marked; with
 * --baseline, a logistic regression and a small CNN trained for the same minutes on the same
 * tensors stand beside it at the native budget.
 *
 * <dir> is a tokenized folder (meta.json), a generated dataset (labels.jsonl) or a labelled folder
 * <dir>/<class>/*.png|jpg (a plant's own images). Writes <out>/<name>/model.onnx + manifest.json
 * per role; see training/train-runner.ts and training/train.py.
 */
import { SingleBar } from 'cli-progress'
import { runMain } from '../lib/lifecycle/index.ts'
import { formatPass } from '../lib/scaling/format-pass.ts'
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
  const { models, baseline } = await runTraining(options, command, {
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
  const beside: Record<number, string> = {}
  if (baseline) {
    beside[baseline.budget] = Object.entries(baseline.models)
      .map(([name, r]) => `${name} ${(r.testAccuracy ?? r.valAccuracy).toFixed(3)}`)
      .join(', ')
    for (const [name, r] of Object.entries(baseline.models)) {
      process.stdout.write(
        `baseline ${name}: ${r.parameters} parameters, ${r.epochs} epochs in ${r.seconds.toFixed(0)} s on ${baseline.imageSide}×${baseline.imageSide} px (budget ${baseline.budget}): ${r.testAccuracy !== undefined ? `test accuracy ${r.testAccuracy.toFixed(3)}` : `validation accuracy ${r.valAccuracy.toFixed(3)}`}\n`,
      )
    }
  }
  for (const m of models) if (m.evaluation) process.stdout.write(formatPass(m.evaluation, beside))
  for (const m of models) {
    process.stdout.write(
      `train: ${m.role} model ${m.name} → ${m.dir} (ONNX vs PyTorch max |diff| ${m.onnxCheck.maxAbsDiff.toExponential(2)})\n`,
    )
  }
})
