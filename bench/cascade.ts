/**
 * Cascade benchmark (issue 14): the running system under several policies and the two baselines,
 * on a held-out labelled set, in one run.
 *
 *   npm run bench:cascade                                    (2,000 generated images, all policies)
 *   npm run bench:cascade -- --folder <dir> [--limit n]      (any labelled folder instead)
 *   npm run bench:cascade -- --quick                         (40 images, 3 policies: the smoke test)
 *   npm run bench:cascade -- --postgres postgres://postgres@127.0.0.1:5432/postgres
 *       (gateway and edge each on a fresh PostgreSQL database on that server, dropped afterwards;
 *        default: PGlite for both)
 *   other flags: --count 2000 --concurrency 8 --thresholds .7,.9 --ladder-thresholds .7,.9,.97
 *     --question-thresholds .9 --ladder 64,256 --edge-budget 16 --cloud-budget 256
 *     --question "is there a stain?" --policies name,name --no-recommend --out <json> --svg <svg>
 *     --models-dir models --edge-model edge-vit-s --cloud-model cloud-vit-m
 *
 * Per policy: a line of its own; the policy set through the gateway's `updatePolicy` (it reaches the
 * edge over Kafka, as in production); every image POSTed to the edge's ingest (bounded concurrency);
 * the final verdicts read back from the gateway's GraphQL once none is pending: accuracy, per-class
 * recall, missed defects, escalation rate, cloud tokens and cost per 1,000 images, latency p50/p99
 * (the gateway's `latencyMs`: edge ingest → final verdict). The same policy is replayed by the
 * gateway (`replayPolicy`, calibration records) and predicted is printed against measured. Last, the
 * gateway's own recommendation for "all-cloud accuracy − 1 point" (replayed) is run live too.
 * The baseline of every ratio is all-cloud measured in the same run.
 *
 * Default sweep: 2 thresholds without the ladder, 3 with it, 1 with the question (plus all-cloud
 * with it), i.e. 10 policies and the recommendation: on 2 shared cores the live system settles
 * about 10–25 images a second, so 2,000 images × 11 policies is 25–35 minutes; more points
 * (`--thresholds`, `--ladder-thresholds`) cost about 2–3 minutes each.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { SingleBar } from 'cli-progress'
import { loadModel, resolveModelDir } from '../lib/inference/index.ts'
import { createLogger } from '../lib/log/index.ts'
import { GatewayClient } from './cascade/gateway-client.ts'
import { folderHeldOut, generatedHeldOut, heldOutSeeds } from './cascade/held-out.ts'
import { checkPromise, pairedDifferenceInterval, paretoNames } from './cascade/metrics.ts'
import { type BenchPolicy, benchPolicies, type PolicyPlan, recommendedPolicy } from './cascade/policies.ts'
import {
  plotSvg,
  predictionGap,
  predictionTable,
  promiseText,
  type ResultRow,
  resultsTable,
} from './cascade/report.ts'
import { applyPolicy, runPolicy } from './cascade/run-policy.ts'
import { startSystem } from './cascade/system.ts'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    count: { type: 'string' },
    folder: { type: 'string' },
    limit: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    thresholds: { type: 'string' },
    'ladder-thresholds': { type: 'string' },
    'question-thresholds': { type: 'string' },
    ladder: { type: 'string', default: '64,256' },
    'edge-budget': { type: 'string', default: '16' },
    'cloud-budget': { type: 'string', default: '256' },
    question: { type: 'string', default: 'is there a stain?' },
    policies: { type: 'string' },
    'no-recommend': { type: 'boolean', default: false },
    postgres: { type: 'string' },
    out: { type: 'string', default: 'bench/results/cascade.json' },
    svg: { type: 'string', default: 'bench/results/cascade.svg' },
    'models-dir': { type: 'string', default: 'models' },
    'edge-model': { type: 'string', default: 'edge-vit-s' },
    'cloud-model': { type: 'string', default: 'cloud-vit-m' },
    'settle-timeout-s': { type: 'string', default: '600' },
  },
  strict: true,
})

const numbers = (raw: string | undefined, fallback: number[]): number[] =>
  raw === undefined ? fallback : raw === '' ? [] : raw.split(',').map((s) => Number(s.trim()))
const quick = values.quick
const count = Number(values.count ?? (quick ? 40 : 2000))
const concurrency = Number(values.concurrency)
const wanted = values.policies?.split(',') ?? (quick ? ['all-edge-16', 'all-cloud', 'cascade-c.9'] : null)
const recommend = !values['no-recommend'] && !quick
const modelsDir = resolve(values['models-dir'])
const log = createLogger('bench', (process.env.LOG_LEVEL as 'silent') ?? 'silent')
const adminKey = `tl_bench_cascade_${'k'.repeat(24)}`
const plantId = 'bench-cascade'
const lineOf = (name: string) => `cascade-${name.replace(/\+/g, '-q').replace(/[^A-Za-z0-9-]/g, '')}`

const started = new Date()
const t0 = performance.now()
const [edgeModel, cloudModel] = await Promise.all([
  resolveModelDir(values['edge-model'], modelsDir).then(loadModel),
  resolveModelDir(values['cloud-model'], modelsDir).then(loadModel),
])
const labels = edgeModel.manifest.labels
const plan: PolicyPlan = {
  edgeModel: edgeModel.manifest.name,
  cloudModel: cloudModel.manifest.name,
  labels,
  edgeBudget: Number(values['edge-budget']),
  ladder: numbers(values.ladder, []),
  cloudBudget: Number(values['cloud-budget']),
  question: values.question,
  thresholds: numbers(values.thresholds, [0.7, 0.9]),
  ladderThresholds: numbers(values['ladder-thresholds'], [0.7, 0.9, 0.97]),
  questionThresholds: numbers(values['question-thresholds'], [0.9]),
  prices: { edge: 0.001, cloud: 0.02 },
  deadlineMs: 3_600_000,
}
let policies = benchPolicies(plan)
if (wanted !== null) {
  const unknown = wanted.filter((w) => !policies.some((p) => p.name === w))
  if (unknown.length > 0)
    throw new Error(
      `expected --policies among ${policies.map((p) => p.name).join(', ')} but received ${unknown.join(', ')}`,
    )
  policies = policies.filter((p) => wanted.includes(p.name))
}
if (!policies.some((p) => p.name === 'all-cloud'))
  throw new Error('expected all-cloud among the policies: it is the baseline of every ratio')

const heldOut = values.folder
  ? await folderHeldOut(values.folder, labels, values.limit === undefined ? undefined : Number(values.limit))
  : generatedHeldOut(count)
const images = heldOut.images

const command = `npm run bench:cascade --${process.argv
  .slice(2)
  .map((a) => ` ${/\s/.test(a) ? JSON.stringify(a) : a}`)
  .join('')}`
const machine = `${os.cpus()[0]?.model} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${os
  .loadavg()
  .map((l) => l.toFixed(1))
  .join(' ')} at start`
const versions = `node ${process.version}, onnxruntime-node ${(createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version}`
console.log(`# bench:cascade  ${started.toISOString()}`)
console.log(`machine: ${machine}; ${versions}`)
console.log(`command: ${command}`)
console.log(`held-out set: ${heldOut.description}`)
console.log(
  `models: ${plan.edgeModel} (sha256 ${edgeModel.manifest.sha256.slice(0, 12)}…), ${plan.cloudModel} (sha256 ${cloudModel.manifest.sha256.slice(0, 12)}…) from ${modelsDir}`,
)
console.log(
  `policies (${policies.length}${recommend ? ' + the gateway recommendation' : ''}): ${policies.map((p) => p.name).join(', ')}; edge budget ${plan.edgeBudget}, ladder [${plan.ladder.join(', ')}], cloud budget ${plan.cloudBudget}, question "${plan.question}", prices per 1k tokens edge ${plan.prices.edge} cloud ${plan.prices.cloud}, audit 0, client concurrency ${concurrency}`,
)

const lineIds = [...policies.map((p) => lineOf(p.name)), ...(recommend ? [lineOf('recommended')] : [])]
const system = await startSystem({
  modelsDir,
  plantId,
  lineIds,
  cloudModel: plan.cloudModel,
  adminKey,
  edgeConcurrency: concurrency,
  postgresUrl: values.postgres ?? null,
  log,
})
console.log(`system: ${system.description}`)
const gateway = new GatewayClient(system.graphqlUrl, adminKey)
const rows: ResultRow[] = []
let recommendation: { explanation: string; target: number } | null = null
try {
  await gateway.createPlant(plantId)
  for (const id of lineIds) await gateway.createLine(plantId, id, system.edgeUrl)

  const runOne = async (policy: BenchPolicy) => {
    const lineId = lineOf(policy.name)
    await applyPolicy(gateway, system.edgeUrl, lineId, policy)
    const predicted = await gateway.replay(lineId, policy.input)
    const bar = new SingleBar({
      format: `${policy.name.padEnd(16)} [{bar}] {value}/{total} | {duration}s`,
      stream: process.stderr,
    })
    bar.start(images.length, 0)
    const run = await runPolicy({
      gateway,
      edgeUrl: system.edgeUrl,
      lineId,
      images,
      concurrency,
      settleTimeoutMs: Number(values['settle-timeout-s']) * 1000,
      onProgress: (d) => {
        if (d % 20 === 0 || d === images.length) bar.update(d)
      },
    })
    bar.stop()
    const m = run.figures
    console.log(
      `${policy.name.padEnd(16)} accuracy ${(100 * m.accuracy).toFixed(1)} % (replay ${(100 * predicted.accuracy).toFixed(1)}; 1 defect ${((m.accuracyOneDefect ?? 0) * 100).toFixed(1)}, 2 defects ${((m.accuracyTwoDefects ?? 0) * 100).toFixed(1)}), escalated ${(100 * m.escalationRate).toFixed(1)} % (replay ${(100 * predicted.escalationRate).toFixed(1)}), cloud tokens/1k ${Math.round(m.cloudTokensPer1k)}, p50/p99 ${Math.round(m.latencyMsP50)}/${Math.round(m.latencyMsP99)} ms; submitted in ${run.submitSeconds.toFixed(0)} s, settled in ${run.settleSeconds.toFixed(0)} s${run.retries > 0 ? `, ${run.retries} busy retries` : ''}${run.resent > 0 ? `, ${run.resent} POSTs resent after a reset connection (${run.duplicates} duplicate inspections left out)` : ''}`,
    )
    rows.push({
      name: policy.name,
      family: policy.family,
      question: policy.question,
      baseline: policy.baseline,
      pareto: false,
      input: policy.input,
      measured: m,
      predicted,
      submitSeconds: run.submitSeconds,
      settleSeconds: run.settleSeconds,
      resent: run.resent,
      duplicates: run.duplicates,
    })
  }

  for (const policy of policies) await runOne(policy)

  if (recommend) {
    // The gateway's pick for "within 1 point of all-cloud" from its replay alone, then run live.
    const lineId = lineOf('recommended')
    const base = benchPolicies(plan).find((p) => p.family === 'ladder' && !p.question) ?? policies[0]!
    await gateway.updatePolicy(lineId, base.input, 'bench:cascade base for the recommendation')
    const cloudReplay = rows.find((r) => r.name === 'all-cloud')!.predicted
    const target = cloudReplay.accuracy - 0.01
    const rec = await gateway.recommend(lineId, target)
    if (rec === null) console.log(`recommendation: none for target accuracy ${target.toFixed(4)}`)
    else {
      recommendation = { explanation: rec.explanation, target }
      console.log(`recommendation for target ${target.toFixed(4)}: ${rec.explanation}`)
      await runOne(recommendedPolicy(plan, base.input, rec.knobs))
    }
  }
} finally {
  await system.close()
}

const onFrontier = new Set(
  paretoNames(
    rows.map((r) => ({
      name: r.name,
      accuracy: r.measured.accuracy,
      cloudTokensPer1k: r.measured.cloudTokensPer1k,
    })),
  ),
)
for (const r of rows) r.pareto = onFrontier.has(r.name)
const cloudRow = rows.find((r) => r.name === 'all-cloud')!
const point = (r: ResultRow) => ({
  name: r.name,
  accuracy: r.measured.accuracy,
  cloudTokensPer1k: r.measured.cloudTokensPer1k,
})
const candidates = rows.filter((r) => !r.baseline)
const check = checkPromise(point(cloudRow), candidates.map(point))
const pick = check.absolute === null ? undefined : rows.find((r) => r.name === check.absolute!.name)
const interval = pick ? pairedDifferenceInterval(pick.measured.correct, cloudRow.measured.correct) : null
const gap = predictionGap(rows)
const wallSeconds = (performance.now() - t0) / 1000

console.log('\n## Pareto table (measured; bold = on the frontier of accuracy against cloud tokens)\n')
console.log(resultsTable(rows, labels))
console.log('\n## Replay (gateway, calibration records) against the live run\n')
console.log(predictionTable(rows))
const gapText = `Prediction gap over ${rows.length} policies: accuracy mean |Δ| ${(100 * gap.accuracyMeanAbs).toFixed(1)} pts, max ${(100 * gap.accuracyMaxAbs).toFixed(1)} pts (${gap.insideInterval} of ${rows.length} measured accuracies inside the replay's 90 % interval; on the one-defect images alone mean |Δ| ${(100 * gap.accuracyOneDefectMeanAbs).toFixed(1)} pts, max ${(100 * gap.accuracyOneDefectMaxAbs).toFixed(1)} pts); escalation rate mean |Δ| ${(100 * gap.escalationMeanAbs).toFixed(1)} pts, max ${(100 * gap.escalationMaxAbs).toFixed(1)} pts.`
console.log(`\n${gapText}`)
const promise = promiseText(check, 'all-cloud', interval)
console.log(`\n${promise}`)
console.log(
  `\nwall time ${(wallSeconds / 60).toFixed(1)} min, load average at end ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
)

const json = {
  schema: 'tokenline.bench-cascade.v1',
  startedAt: started.toISOString(),
  wallSeconds,
  command,
  machine,
  versions,
  system: system.description,
  heldOut: {
    description: heldOut.description,
    images: images.length,
    twoDefects: images.filter((i) => i.twoDefects).length,
    seeds: values.folder ? null : heldOutSeeds,
  },
  models: {
    edge: { name: plan.edgeModel, sha256: edgeModel.manifest.sha256 },
    cloud: { name: plan.cloudModel, sha256: cloudModel.manifest.sha256 },
  },
  plan,
  recommendation,
  policies: rows.map((r) => {
    const { correct: _c, ...measured } = r.measured
    return {
      name: r.name,
      family: r.family,
      question: r.question,
      baseline: r.baseline,
      pareto: r.pareto,
      policy: r.input,
      measured,
      predicted: r.predicted,
      difference: {
        accuracy: r.measured.accuracy - r.predicted.accuracy,
        escalationRate: r.measured.escalationRate - r.predicted.escalationRate,
        cloudTokensPer1k: r.measured.cloudTokensPer1k - r.predicted.cloudTokensPer1k,
      },
      submitSeconds: r.submitSeconds,
      settleSeconds: r.settleSeconds,
      resent: r.resent,
      duplicates: r.duplicates,
    }
  }),
  predictionGap: gap,
  promise: {
    ...check,
    pairedDifferenceInterval90: interval,
    definition: 'absolute: accuracy ≥ all-cloud − 0.01',
  },
}
mkdirSync(dirname(values.out), { recursive: true })
writeFileSync(values.out, `${JSON.stringify(json, null, 2)}\n`)
mkdirSync(dirname(values.svg), { recursive: true })
writeFileSync(
  values.svg,
  plotSvg(
    rows,
    check,
    `Cascade on ${images.length} held-out images: accuracy against cloud tokens (${started.toISOString().slice(0, 10)})`,
  ),
)
console.log(`wrote ${values.out} and ${values.svg}`)
