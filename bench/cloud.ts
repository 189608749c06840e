/**
 * npm run bench:cloud -- [--model cloud-vit-m] [--budgets 64,256] [--batches 1,4,8,16,32] [--images 480]
 *   [--latency-seconds 10] [--rate-fraction 0.5] [--latency-batch 16] [--rounds 1] [--write]
 *
 * The cloud tier measured through its consumer, against onnxruntime-node alone in the same run.
 *   raw        session.run in this thread, 1 intra-op thread, at batch 1 (the baseline) and at each
 *              max batch (what batching alone can buy on this CPU), with the question input filled
 *   consumer   startCloud (services/cloud) with 1 inference worker × 1 intra-op thread and
 *              CLOUD_MAX_BATCH = b: `--images` escalations (raw images already resized for the
 *              budget, 12 lines over 6 partitions, a question each) are produced to a fresh embedded
 *              broker first; throughput = images ÷ (cloud joined the group → last verdict consumed).
 *              Decode, batching, inference, verdict publish, offset commit and the verdict read-back
 *              are all inside the measurement.
 *   latency    at max batch `--latency-batch`, escalations produced one by one at `--rate-fraction`
 *              of that batch size's measured throughput for `--latency-seconds` (first second
 *              dropped): escalation produced → its verdict consumed, p50 / p99.
 * The broker runs in this process (its own event loop work competes with the bench thread, not with
 * the inference worker). --write replaces the "## Cloud" section of BENCHMARKS.md.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import type { Kafka } from 'kafkajs'
import * as ort from 'onnxruntime-node'
import { type LoadedModel, loadModel, resolveModelDir, tokenWidth } from '../lib/inference/index.ts'
import { runMain } from '../lib/lifecycle/index.ts'
import { createLogger } from '../lib/log/index.ts'
import {
  createKafka,
  type EscalationV1,
  ensureTopics,
  escalationV1,
  MessageProducer,
  subscribeBatches,
  verdictV2,
} from '../lib/messaging/index.ts'
import { positionsFor, tokenizeQuestion } from '../lib/vision/index.ts'
import { startBroker } from '../services/broker/src/broker.ts'
import { loadConfig as loadBrokerConfig } from '../services/broker/src/config.ts'
import { startCloud } from '../services/cloud/src/cloud.ts'
import { loadConfig as loadCloudConfig } from '../services/cloud/src/config.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const log = createLogger('bench-cloud', 'silent')
const question = 'any defect?'

function pixels(side: number, seed: number): Buffer {
  const b = Buffer.alloc(side * side)
  let s = seed * 2654435761 || 1
  for (let i = 0; i < b.length; i++) {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    b[i] = 96 + ((s >>> 0) % 64)
  }
  return b
}

function escalation(model: LoadedModel, budget: number, i: number): EscalationV1 {
  const side = Math.round(Math.sqrt(budget)) * model.manifest.patchSize
  const channels = model.manifest.channels
  const now = new Date().toISOString()
  return {
    inspectionId: randomUUID(),
    plantId: 'bench',
    lineId: `line-${i % 12}`,
    capturedAt: now,
    escalatedAt: now,
    deadlineAt: null,
    policyVersion: 1,
    reason: 'confidence',
    question,
    edge: {
      model: { name: 'edge', sha256: '0'.repeat(64) },
      budget: 16,
      label: model.manifest.labels[0]!,
      probabilities: Object.fromEntries(model.manifest.labels.map((l, k) => [l, k === 0 ? 1 : 0])),
      patchScores: [],
      latencyMs: 1,
    },
    ladder: [16],
    cloud: { model: model.manifest.name, budget },
    image: {
      encoding: 'raw',
      width: side,
      height: side,
      channels,
      colorSpace: model.manifest.colorSpace,
      bytes:
        channels === 1 ? pixels(side, i) : Buffer.concat([pixels(side, i), pixels(side, i), pixels(side, i)]),
    },
  }
}

async function rawRate(model: LoadedModel, budget: number, batch: number, seconds: number): Promise<number> {
  const m = model.manifest
  const session = await ort.InferenceSession.create(model.onnxPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { 'intra_op.allow_spinning': '0', 'inter_op.allow_spinning': '0' } },
  })
  const width = tokenWidth(m)
  const tokens = new Float32Array(batch * budget * width)
  for (let i = 0; i < tokens.length; i++) tokens[i] = Math.sin(i * 0.37)
  const feeds: Record<string, ort.Tensor> = {
    [m.io.tokens]: new ort.Tensor('float32', tokens, [batch, budget, width]),
    [m.io.positions]: new ort.Tensor('float32', positionsFor(budget).slice(), [budget, 2]),
  }
  if (m.io.question && m.question) {
    const q = tokenizeQuestion(question, m.question.vocab, m.question.maxLength)
    const all = new BigInt64Array(batch * q.length)
    for (let r = 0; r < batch; r++) all.set(q, r * q.length)
    feeds[m.io.question] = new ort.Tensor('int64', all, [batch, q.length])
  }
  await session.run(feeds)
  let images = 0
  const t0 = performance.now()
  while (performance.now() - t0 < seconds * 1000) {
    await session.run(feeds)
    images += batch
  }
  const rate = (images * 1000) / (performance.now() - t0)
  await session.release()
  return rate
}

type Rig = { kafka: Kafka; brokers: string[]; producer: MessageProducer; close: () => Promise<void> }

async function rig(): Promise<Rig> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tokenline-bench-cloud-'))
  const broker = await startBroker(
    {
      ...loadBrokerConfig({ TOKENLINE_DATA_DIR: dataDir, BROKER_PORT: '0', LOG_LEVEL: 'silent' }),
      httpPort: null,
    },
    log,
  )
  const brokers = [broker.bootstrap]
  const kafka = createKafka({ brokers, clientId: 'bench-cloud', logger: log })
  const admin = kafka.admin()
  await admin.connect()
  await ensureTopics(admin, { logger: log })
  await admin.disconnect()
  const producer = new MessageProducer(kafka, { logger: log, brokers })
  await producer.connect()
  return {
    kafka,
    brokers,
    producer,
    close: async () => {
      await producer.disconnect()
      await broker.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Collects verdict arrival times by inspection id, from the start of the verdict topic (one commit per fetched batch). */
async function verdictClock(r: Rig): Promise<{ seen: Map<string, number>; close: () => Promise<void> }> {
  const seen = new Map<string, number>()
  const sub = await subscribeBatches({
    kafka: r.kafka,
    brokers: r.brokers,
    logger: log,
    groupId: `bench-verdicts-${randomUUID()}`,
    contract: verdictV2,
    deadLetter: r.producer,
    maxWaitMs: 20,
    maxBatch: 500,
    handleBatch: async (items) => {
      const at = performance.now()
      for (const { message } of items) if (!seen.has(message.inspectionId)) seen.set(message.inspectionId, at)
      return undefined
    },
  })
  await sub.joined
  return { seen, close: () => sub.close() }
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((res) => setTimeout(res, 2))
  }
}

function cloudConfig(r: Rig, modelDir: string, maxBatch: number) {
  return loadCloudConfig({
    KAFKA_BROKERS: r.brokers.join(','),
    CLOUD_PORT: '0',
    LOG_LEVEL: 'silent',
    CLOUD_MODELS: modelDir,
    CLOUD_MAX_BATCH: String(maxBatch),
    INFERENCE_WORKERS: '1',
    INFERENCE_INTRA_OP_THREADS: '1',
    INFERENCE_EXECUTION_PROVIDERS: 'cpu',
  })
}

async function consumerRate(
  model: LoadedModel,
  budget: number,
  maxBatch: number,
  images: number,
): Promise<number> {
  const r = await rig()
  try {
    const cases = Array.from({ length: images }, (_, i) => escalation(model, budget, i))
    for (let i = 0; i < cases.length; i += 50)
      await r.producer.publishBatch(
        escalationV1,
        cases.slice(i, i + 50).map((e) => ({ key: e.lineId, message: e })),
      )
    const clock = await verdictClock(r)
    const cloud = await startCloud(cloudConfig(r, model.dir, maxBatch), { log })
    const t0 = performance.now()
    await waitFor(() => clock.seen.size >= images, 600_000, `${images} verdicts`)
    const last = Math.max(...clock.seen.values())
    await cloud.close()
    await clock.close()
    return (images * 1000) / (last - t0)
  } finally {
    await r.close()
  }
}

async function latency(
  model: LoadedModel,
  budget: number,
  maxBatch: number,
  rate: number,
  seconds: number,
): Promise<{ p50: number; p99: number; count: number }> {
  const r = await rig()
  try {
    const clock = await verdictClock(r)
    const cloud = await startCloud(cloudConfig(r, model.dir, maxBatch), { log })
    const produced = new Map<string, number>()
    const start = performance.now()
    const sends: Promise<unknown>[] = []
    for (let i = 0; performance.now() - start < seconds * 1000; i++) {
      const due = start + (i * 1000) / rate
      const wait = due - performance.now()
      if (wait > 0) await new Promise((res) => setTimeout(res, wait))
      const e = escalation(model, budget, i)
      const at = performance.now()
      if (at - start >= 1000) produced.set(e.inspectionId, at)
      sends.push(r.producer.publish(escalationV1, e.lineId, e))
    }
    await Promise.all(sends)
    await waitFor(() => [...produced.keys()].every((id) => clock.seen.has(id)), 120_000, 'every verdict')
    await cloud.close()
    await clock.close()
    const lat = [...produced].map(([id, at]) => clock.seen.get(id)! - at).sort((a, b) => a - b)
    const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!
    return { p50: q(0.5), p99: q(0.99), count: lat.length }
  } finally {
    await r.close()
  }
}

runMain('bench:cloud', async () => {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'cloud-vit-m' },
      'models-dir': { type: 'string', default: 'models' },
      budgets: { type: 'string' },
      batches: { type: 'string', default: '1,4,8,16,32' },
      images: { type: 'string', default: '480' },
      'raw-seconds': { type: 'string', default: '2' },
      'latency-seconds': { type: 'string', default: '10' },
      'rate-fraction': { type: 'string', default: '0.5' },
      'latency-batch': { type: 'string', default: '16' },
      rounds: { type: 'string', default: '1' },
      write: { type: 'boolean', default: false },
    },
  })
  const model = await loadModel(await resolveModelDir(values.model, values['models-dir']))
  const budgets = values.budgets
    ? values.budgets.split(',').map(Number)
    : [Math.max(...model.manifest.budgets)]
  const batches = values.batches.split(',').map(Number)
  const images = Number(values.images)
  const rounds = Number(values.rounds)
  const rawSeconds = Number(values['raw-seconds'])
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} logical cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadavg()[0]!.toFixed(1)} at start`
  const versions = `node ${process.version}, onnxruntime-node ${ort.env.versions.node ?? '?'}`
  const command = `npm run bench:cloud -- ${process.argv.slice(2).join(' ')}`.trim()
  const settings = `model ${model.manifest.name} (sha256 ${model.manifest.sha256.slice(0, 12)}…), budgets ${budgets.join(', ')}, question "${question}", 1 inference worker × 1 intra-op thread (raw: 1 session × 1 thread), CLOUD_MAX_DELAY_MS 5, 6 partitions at once, ${images} escalations per consumer run, best of ${rounds} round(s)`
  process.stdout.write(`${machine}\n${versions}\n${settings}\n${command}\n`)

  const sections: string[] = []
  for (const budget of budgets) sections.push(...(await measureBudget(budget)))

  async function measureBudget(budget: number): Promise<string[]> {
    let rawBatch1 = 0
    const rows: { batch: number; raw: number; consumer: number }[] = []
    for (let round = 0; round < rounds; round++) {
      rawBatch1 = Math.max(rawBatch1, await rawRate(model, budget, 1, rawSeconds))
      for (const b of batches) {
        const raw = await rawRate(model, budget, b, rawSeconds)
        const consumer = await consumerRate(model, budget, b, images)
        const row = rows.find((x) => x.batch === b)
        if (row) {
          row.raw = Math.max(row.raw, raw)
          row.consumer = Math.max(row.consumer, consumer)
        } else rows.push({ batch: b, raw, consumer })
        process.stdout.write(
          `budget ${budget} round ${round + 1} max batch ${b}: raw ${raw.toFixed(1)} img/s, consumer ${consumer.toFixed(1)} img/s\n`,
        )
      }
    }
    const consumer1 = rows.find((r) => r.batch === 1)?.consumer ?? Number.NaN
    const latencyBatch = Number(values['latency-batch'])
    const base = rows.find((r) => r.batch === latencyBatch)?.consumer ?? rows[rows.length - 1]!.consumer
    const rate = Math.max(1, base * Number(values['rate-fraction']))
    const lat = await latency(model, budget, latencyBatch, rate, Number(values['latency-seconds']))

    return [
      `### Budget ${budget}`,
      '',
      '| max batch | raw onnxruntime img/s | consumer img/s | consumer ÷ raw batch 1 | consumer ÷ consumer batch 1 | consumer ÷ raw same batch |',
      '|---:|---:|---:|---:|---:|---:|',
      ...rows.map(
        (r) =>
          `| ${r.batch} | ${r.raw.toFixed(1)} | ${r.consumer.toFixed(1)} | ${(r.consumer / rawBatch1).toFixed(2)}× | ${(r.consumer / consumer1).toFixed(2)}× | ${(r.consumer / r.raw).toFixed(2)} |`,
      ),
      '',
      `Raw onnxruntime at batch 1: ${rawBatch1.toFixed(1)} img/s.`,
      '',
      `Latency at max batch ${latencyBatch}, ${rate.toFixed(1)} escalations/s (${values['rate-fraction']} of that batch's consumer throughput) for ${values['latency-seconds']} s, first second dropped (${lat.count} cases): escalation produced → verdict consumed p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms.`,
      '',
    ]
  }

  const lines = [
    '## Cloud',
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${machine}. Versions: ${versions}. Settings: ${settings}.`,
    '',
    'Baseline: onnxruntime-node `session.run` at batch 1 in the bench thread, same model, budget, question and thread',
    "count, measured in the same run. Consumer: `services/cloud` end to end (Kafka fetch, decode, the pool's micro-batches,",
    'verdict publish with acks=all, offset commit, verdict read back); raw at batch b is onnxruntime alone at that batch.',
    '',
    ...sections,
  ]
  const md = lines.join('\n')
  process.stdout.write(`\n${md}\n`)
  if (values.write) {
    const path = 'BENCHMARKS.md'
    const text = await readFile(path, 'utf8')
    const start = text.indexOf('\n## Cloud\n')
    let next: string
    if (start < 0) next = `${text.trimEnd()}\n\n${md}`
    else {
      const after = text.indexOf('\n## ', start + 1)
      next = `${text.slice(0, start + 1)}${md}${after < 0 ? '' : `\n${text.slice(after + 1)}`}`
    }
    await writeFile(path, next.endsWith('\n') ? next : `${next}\n`)
  }
})
