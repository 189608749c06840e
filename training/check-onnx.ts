/**
 * npx tsx training/check-onnx.ts <model dir> <golden.json> [--record]
 *
 * Runs the golden cases written by training/train.py through onnxruntime-node, prints the largest
 * |ONNX − PyTorch| per output and, with --record, stores it as training.onnxCheck in the manifest.
 */
import { parseArgs } from 'node:util'
import { ConfigError } from '../lib/config/index.ts'
import { runMain } from '../lib/lifecycle/index.ts'
import { checkOnnx, recordOnnxCheck } from './onnx-check.ts'

runMain('check-onnx', async () => {
  const { values, positionals } = parseArgs({
    options: { record: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  })
  const [dir, golden] = positionals
  if (!dir || !golden)
    throw new ConfigError(['expected <model dir> <golden.json> but received too few arguments'])
  const check = await checkOnnx(dir, golden)
  process.stdout.write(`${JSON.stringify(check)}\n`)
  if (values.record) await recordOnnxCheck(dir, check)
})
