/**
 * npm run bench:edge -- [--seconds 8] [--clients 8] [--budgets 16,64] [--down-seconds 60] [--fill-rate 0]
 *
 * 1. Edge throughput through the HTTP API (POST /v1/inspections, 256×256 generated images as PNG
 *    and JPEG q90, a policy that decides everything at the edge budget, results relayed to the
 *    embedded broker in this process), against the raw stages
 *    measured in the same process right before: sharp decode + resize to the budget's side alone
 *    (the least sharp call giving the same pixels), and onnxruntime alone (one InferenceSession,
 *    same model and budget, batch = clients). The figure that counts is edge / min(raw stages).
 * 2. Outbox drain: the edge runs with Kafka unreachable for `--down-seconds` while clients post
 *    images that all escalate (every case: result + escalation of a 128×128 raw image), then the
 *    embedded broker starts on the address the edge was given; reported: escalations per second
 *    while draining and seconds until the outbox is empty.
 * Everything runs in this process on this machine's cores (edge, clients, broker), so absolute rates
 * only orient; ratios are the result.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import sharp from 'sharp'
import { loadModel } from '../lib/inference/index.ts'
import { createLogger } from '../lib/log/index.ts'
import { type PolicyV2, policyPayloadV2 } from '../lib/messaging/index.ts'
import { encodeGreyPng } from '../lib/vision/dataset/png-grey.ts'
import { generateSample, positionsFor, resizeKernel } from '../lib/vision/index.ts'
import { freePort } from '../scripts/internal/free-port.ts'
import { startBroker } from '../services/broker/src/broker.ts'
import { loadConfig as brokerConfig } from '../services/broker/src/config.ts'
import { loadConfig } from '../services/edge/src/config.ts'
import { startEdge } from '../services/edge/src/edge.ts'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    clients: { type: 'string', default: '8' },
    budgets: { type: 'string', default: '16,64' },
    'down-seconds': { type: 'string', default: '60' },
  },
})
const seconds = Number(values.seconds)
const clients = Number(values.clients)
const budgets = values.budgets.split(',').map(Number)
const downSeconds = Number(values['down-seconds'])
const log = createLogger('bench', (process.env.LOG_LEVEL as 'silent') ?? 'silent')

const pixels = Array.from({ length: 16 }, (_, i) => generateSample(8_000_000 + i, 256).pixels)
const formats = {
  png: pixels.map((p) => encodeGreyPng(256, 256, p)),
  jpeg: await Promise.all(
    pixels.map((p) =>
      sharp(p, { raw: { width: 256, height: 256, channels: 1 } })
        .jpeg({ quality: 90 })
        .toBuffer(),
    ),
  ),
}

/** Runs `work` from `lanes` concurrent loops for `seconds`; returns completions per second. */
async function rate(lanes: number, work: (i: number) => Promise<unknown>): Promise<number> {
  const end = performance.now() + seconds * 1000
  const start = performance.now()
  let done = 0
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = lane; performance.now() < end; i += lanes) {
        await work(i)
        done++
      }
    }),
  )
  return done / ((performance.now() - start) / 1000)
}

function policy(version: number, overrides: Partial<PolicyV2> = {}): PolicyV2 {
  return policyPayloadV2.parse({
    plantId: 'bench',
    lineId: 'line-1',
    version,
    author: 'bench',
    reason: 'bench',
    createdAt: new Date().toISOString(),
    rolledBackTo: null,
    edge: { model: 'edge-vit-s', budget: 16, ladder: [] },
    cloud: { model: 'cloud-vit-m', budget: 256 },
    escalation: { thresholds: {}, perClass: {}, alwaysEscalate: [], auditRate: 0 },
    cloudTokenCapPerHour: null,
    atCap: 'edge-verdict',
    deadlineMs: 3_600_000,
    pastDeadline: 'edge-verdict',
    question: null,
    costPer1kTokens: { edge: 0, cloud: 0.02 },
    egress: { mode: 'whole' },
    ...overrides,
  })
}

async function edgeWith(p: PolicyV2, brokers: string[], dataDir: string) {
  mkdirSync(join(dataDir, 'edge-bench'), { recursive: true })
  writeFileSync(join(dataDir, 'edge-bench', 'policies.json'), JSON.stringify([p]))
  const config = loadConfig({
    EDGE_PORT: '0',
    EDGE_NODE_ID: 'bench',
    EDGE_LINES: 'bench/line-1',
    TOKENLINE_DATA_DIR: dataDir,
    KAFKA_BROKERS: brokers.join(','),
    EDGE_CONCURRENCY: String(clients),
    EDGE_QUEUE_MAX: String(clients * 4),
    EDGE_MIN_FREE_DISK_BYTES: '0',
    LOG_LEVEL: 'silent',
  })
  return startEdge(config, { log })
}

const post = async (url: string, body: Buffer, type: string) => {
  const res = await fetch(`${url}/v1/inspections?line=line-1`, {
    method: 'POST',
    headers: { 'content-type': type },
    body,
  })
  if (res.status !== 201) throw new Error(`POST answered ${res.status}: ${await res.text()}`)
  await res.arrayBuffer()
}

console.log(
  `# bench:edge  ${os.cpus()[0]?.model} × ${os.cpus().length}, node ${process.version}, ${seconds} s per figure, ${clients} clients`,
)
const model = await loadModel('models/edge-vit-s')
const session = await ort.InferenceSession.create(model.onnxPath, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
})
const width = model.manifest.patchSize ** 2 * model.manifest.channels

const root = mkdtempSync(join(os.tmpdir(), 'tokenline-bench-edge-'))
const rows: string[] = []
try {
  const live = await startBroker(
    {
      ...brokerConfig({
        TOKENLINE_DATA_DIR: join(root, 'live-broker'),
        BROKER_PORT: '0',
        LOG_LEVEL: 'silent',
      }),
      httpPort: null,
    },
    log,
  )
  for (const budget of budgets) {
    const g = Math.sqrt(budget)
    const side = g * model.manifest.patchSize
    const tokens = new ort.Tensor('float32', new Float32Array(clients * budget * width), [
      clients,
      budget,
      width,
    ])
    const positions = new ort.Tensor('float32', positionsFor(budget), [budget, 2])
    const ortRate = clients * (await rate(1, () => session.run({ tokens, positions })))
    const edge = await edgeWith(
      policy(1, { edge: { model: 'edge-vit-s', budget, ladder: [] } }),
      [live.bootstrap],
      join(root, `tput-${budget}`),
    )
    for (const [format, images] of Object.entries(formats)) {
      const type = format === 'png' ? 'image/png' : 'image/jpeg'
      const sharpRate = await rate(clients, (i) =>
        sharp(images[i % images.length]!)
          .toColourspace('b-w')
          .resize(side, side, { kernel: resizeKernel, fit: 'fill', fastShrinkOnLoad: false })
          .raw()
          .toBuffer(),
      )
      const edgeRate = await rate(clients, (i) => post(edge.url, images[i % images.length]!, type))
      const slowest = Math.min(sharpRate, ortRate)
      rows.push(
        `| ${budget} | ${format} | ${sharpRate.toFixed(0)} | ${ortRate.toFixed(0)} | ${edgeRate.toFixed(0)} | **${(edgeRate / slowest).toFixed(2)}** |`,
      )
      console.log(rows[rows.length - 1])
    }
    await edge.close()
  }
  console.log(
    '\n| tokens | format | sharp decode+resize alone (img/s) | onnxruntime alone, batch ' +
      clients +
      ' (img/s) | edge over HTTP (img/s) | edge / slowest raw |',
  )
  console.log('|---|---|---|---|---|---|')
  for (const r of rows) console.log(r)

  // 2. Outbox drain after an outage.
  const port = await freePort('127.0.0.1')
  const brokerDir = join(root, 'broker')
  const everything = policy(1, {
    escalation: { thresholds: { minConfidence: 1 }, perClass: {}, alwaysEscalate: [], auditRate: 0 },
  })
  const edge = await edgeWith(everything, [`127.0.0.1:${port}`], join(root, 'drain'))
  const fillEnd = performance.now() + downSeconds * 1000
  let posted = 0
  await Promise.all(
    Array.from({ length: clients }, async (_, lane) => {
      for (let i = lane; performance.now() < fillEnd; i += clients) {
        await post(edge.url, formats.png[i % 16]!, 'image/png')
        posted++
      }
    }),
  )
  const before = await edge.storage.edgeOutbox.depth()
  const broker = await startBroker(
    {
      ...brokerConfig({
        TOKENLINE_DATA_DIR: brokerDir,
        BROKER_PORT: String(port),
        LOG_LEVEL: 'silent',
        BROKER_FSYNC: 'interval',
      }),
      httpPort: null,
    },
    log,
  )
  const t0 = performance.now()
  let connectedAt = 0
  for (;;) {
    if (!connectedAt && edge.link.isUp()) connectedAt = performance.now()
    const depth = await edge.storage.edgeOutbox.depth()
    if (depth.rows === 0) break
    await new Promise((r) => setTimeout(r, 50))
  }
  const total = (performance.now() - t0) / 1000
  const draining = (performance.now() - (connectedAt || t0)) / 1000
  console.log(
    `\noutbox drain: ${posted} inspections posted in ${downSeconds} s with Kafka down → ${before.rows} records (${(before.bytes / 1e6).toFixed(1)} MB), ${posted} of them escalations`,
  )
  console.log(
    `| down for | records | escalations | empty after broker start | of which connecting | draining rate (escalations/s) | records/s |`,
  )
  console.log('|---|---|---|---|---|---|---|')
  console.log(
    `| ${downSeconds} s | ${before.rows} | ${posted} | ${total.toFixed(1)} s | ${((connectedAt || t0) - t0) / 1000 > 0 ? (((connectedAt || t0) - t0) / 1000).toFixed(1) : '0'} s | ${(posted / draining).toFixed(0)} | ${(before.rows / draining).toFixed(0)} |`,
  )
  await edge.close()
  await broker.close()
} finally {
  await session.release()
  rmSync(root, { recursive: true, force: true })
}
