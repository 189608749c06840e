/**
 * Broker benchmark: kafkajs against the tokenline broker on loopback, compared with a raw
 * loopback TCP echo measured in the same run.
 *
 *   npm run bench:broker                       (BROKER_FSYNC defaults to the broker default, interval)
 *   BROKER_FSYNC=always npm run bench:broker
 *   BENCH_SECONDS=5 npm run bench:broker       (length of each throughput phase)
 *
 * The broker runs as its own process (as in production); the echo server too, so both baselines
 * cross the same process boundary. Phases: raw echo of 1 KiB messages written 100 per write,
 * kafkajs produce (1 KiB values, 100 per send, acks=-1, 8 sends in flight), one consumer-group
 * member reading everything back, then produce-to-consume latency at 1,000 msg/s. The produce
 * phase runs once with one producer and once with BENCH_PRODUCERS (default 2) producer processes
 * at the same time, because a single kafkajs producer is bound by its own encoding CPU, not by
 * the broker; the bench also measures kafkajs' Produce encoding alone (no socket) as that
 * client-side ceiling, and pre-encoded Produce requests as the broker's own capacity.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { connect } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Kafka, logLevel } from 'kafkajs'
import { ApiKey } from '../services/broker/src/protocol/api-keys.ts'
import { encodeBatch } from '../services/broker/src/protocol/record-batch.ts'
import { Writer } from '../services/broker/src/protocol/writer.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

const PHASE_S = Number(process.env.BENCH_SECONDS ?? 5)
const MSG = 1024
const BATCH = 100
const IN_FLIGHT = 8
const fsync = process.env.BROKER_FSYNC ?? 'interval'
const PRODUCER_PROCS = Number(process.env.BENCH_PRODUCERS ?? 2)
const PARTITIONS = 3

/**
 * One kafkajs producer sending 100 x 1 KiB per request with IN_FLIGHT requests outstanding for
 * `seconds`; each request goes to one partition, rotating, as Kafka's sticky partitioner does.
 */
async function produceFor(kafka: Kafka, seconds: number): Promise<{ count: number; rate: number }> {
  const producer = kafka.producer()
  await producer.connect()
  const value = Buffer.alloc(MSG, 'x')
  const perPartition = Array.from({ length: PARTITIONS }, (_, partition) =>
    Array.from({ length: BATCH }, () => ({ value, partition })),
  )
  let count = 0
  let turn = 0
  const start = Date.now()
  const end = start + seconds * 1000
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (Date.now() < end) {
        await producer.send({ topic: 'bench', acks: -1, messages: perPartition[turn++ % PARTITIONS]! })
        count += BATCH
      }
    }),
  )
  await producer.disconnect()
  return { count, rate: count / ((Date.now() - start) / 1000) }
}

function child(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ proc: ChildProcess; line: string }> {
  const proc = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)))
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (ready.test(line)) resolve({ proc, line })
    })
  })
}

const ECHO_SERVER = `
const net = require('node:net')
const s = net.createServer((c) => c.pipe(c))
s.listen(0, '127.0.0.1', () => console.log('ECHO ' + s.address().port))
`

async function echoRate(): Promise<number> {
  const { proc, line } = await child(['-e', ECHO_SERVER], {}, /^ECHO /)
  const port = Number(line.split(' ')[1])
  const socket = connect(port, '127.0.0.1')
  await new Promise((r) => socket.once('connect', r))
  socket.setNoDelay(true)
  const chunk = Buffer.alloc(MSG * BATCH, 7)
  let echoed = 0
  let sent = 0
  const end = Date.now() + PHASE_S * 1000
  const start = Date.now()
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (Date.now() < end && sent - echoed < IN_FLIGHT * chunk.length) {
        socket.write(chunk)
        sent += chunk.length
      }
      if (Date.now() >= end && echoed >= sent) resolve()
    }
    socket.on('data', (d) => {
      echoed += d.length
      pump()
    })
    pump()
  })
  const seconds = (Date.now() - start) / 1000
  socket.destroy()
  proc.kill()
  return echoed / MSG / seconds
}

/**
 * The broker's own Produce capacity without kafkajs: one connection replays a pre-encoded
 * Produce v7 request (one record batch of 100 x 1 KiB, acks=-1) with IN_FLIGHT outstanding. The
 * broker still validates the CRC-32C and appends every batch, so this isolates the protocol layer
 * and log append from client-side encoding.
 */
async function rawProduceRate(port: number): Promise<number> {
  const batch = encodeBatch({
    firstTimestamp: Date.now(),
    records: Array.from({ length: BATCH }, (_, i) => ({
      offsetDelta: i,
      timestampDelta: 0,
      key: null,
      value: Buffer.alloc(MSG, 'r'),
      headers: [],
    })),
  })
  const requests = Array.from({ length: PARTITIONS }, (_, partition) => {
    const w = new Writer(batch.length + 128)
    w.int16(ApiKey.Produce).int16(7).int32(partition).string('bench-raw')
    w.nullableString(null).int16(-1).int32(30_000)
    w.array(['bench'], (w, topic) => {
      w.string(topic)
      w.array([partition], (w, index) => w.int32(index).bytes(batch))
    })
    const body = w.toBuffer()
    const frame = Buffer.alloc(4 + body.length)
    frame.writeInt32BE(body.length, 0)
    body.copy(frame, 4)
    return frame
  })
  const socket = connect(port, '127.0.0.1')
  await new Promise((r) => socket.once('connect', r))
  socket.setNoDelay(true)
  let sent = 0
  let answered = 0
  let pending = Buffer.alloc(0)
  const start = Date.now()
  const end = start + PHASE_S * 1000
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (Date.now() < end && sent - answered < IN_FLIGHT) socket.write(requests[sent++ % PARTITIONS]!)
      if (Date.now() >= end && answered >= sent) resolve()
    }
    socket.on('data', (d) => {
      pending = Buffer.concat([pending, d])
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0)
        const errorAt = 4 + 4 + 4 + 2 + 5 + 4 + 4
        if (pending.readInt16BE(errorAt) !== 0)
          throw new Error(`raw produce failed with error ${pending.readInt16BE(errorAt)}`)
        pending = pending.subarray(4 + size)
        answered++
      }
      pump()
    })
    pump()
  })
  socket.destroy()
  return (answered * BATCH) / ((Date.now() - start) / 1000)
}

type KafkajsProduceRequest = (o: {
  acks: number
  timeout: number
  transactionalId: null
  producerId: number
  producerEpoch: number
  compression: number
  topicData: {
    topic: string
    partitions: { partition: number; firstSequence: number; messages: { value: Buffer }[] }[]
  }[]
}) => { encode: () => Promise<unknown> }

/**
 * The client-side ceiling: kafkajs 2.2.4's own Produce v7 encoder (an internal module, loaded
 * only here) building the same 100 x 1 KiB request in a loop, with no socket and no broker.
 */
async function kafkajsEncodeRate(): Promise<number> {
  const encodeProduce = createRequire(import.meta.url)(
    'kafkajs/src/protocol/requests/produce/v7/request',
  ) as KafkajsProduceRequest
  const value = Buffer.alloc(MSG, 'x')
  const messages = Array.from({ length: BATCH }, () => ({ value }))
  let count = 0
  const start = Date.now()
  while (Date.now() - start < PHASE_S * 1000) {
    await encodeProduce({
      acks: -1,
      timeout: 30_000,
      transactionalId: null,
      producerId: -1,
      producerEpoch: 0,
      compression: 0,
      topicData: [{ topic: 'bench', partitions: [{ partition: 0, firstSequence: 0, messages }] }],
    }).encode()
    count += BATCH
  }
  return count / ((Date.now() - start) / 1000)
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

async function main(): Promise<void> {
  const kafkajsVersion = (
    JSON.parse(readFileSync('node_modules/kafkajs/package.json', 'utf8')) as { version: string }
  ).version
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown'} x ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at start`,
  )
  console.log(`node ${process.version}, kafkajs ${kafkajsVersion}`)
  console.log(
    `settings: BROKER_FSYNC=${fsync}, ${MSG}-byte values, ${BATCH} per send, ${IN_FLIGHT} sends in flight, acks=-1, ${PHASE_S} s phases`,
  )
  console.log(`command: ${process.env.BROKER_FSYNC ? `BROKER_FSYNC=${fsync} ` : ''}npm run bench:broker`)

  const echo = await echoRate()
  console.log(
    `raw loopback echo: ${Math.round(echo).toLocaleString('en-US')} msg/s (1 KiB, ${BATCH} per write)`,
  )
  const encodeOnly = await kafkajsEncodeRate()
  console.log(`kafkajs Produce encoding alone: ${Math.round(encodeOnly).toLocaleString('en-US')} msg/s`)

  const dataDir = mkdtempSync(join(tmpdir(), 'tokenline-bench-broker-'))
  const { proc: broker, line } = await child(
    ['--import', 'tsx', 'services/broker/src/main.ts'],
    {
      BROKER_PORT: '0',
      BROKER_HTTP_PORT: '0',
      TOKENLINE_DATA_DIR: dataDir,
      BROKER_FSYNC: fsync,
      LOG_LEVEL: 'info',
    },
    /broker listening/,
  )
  const port = (JSON.parse(line) as { port: number }).port
  try {
    const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], clientId: 'bench', logLevel: logLevel.NOTHING })
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        { topic: 'bench', numPartitions: 3 },
        { topic: 'latency', numPartitions: 1 },
      ],
    })
    await admin.disconnect()

    const raw = await rawProduceRate(port)
    console.log(`raw Produce v7 requests (no kafkajs): ${Math.round(raw).toLocaleString('en-US')} msg/s`)
    const single = await produceFor(kafka, PHASE_S)
    const produceRate = single.rate
    console.log(
      `kafkajs produce, 1 producer: ${Math.round(produceRate).toLocaleString('en-US')} msg/s (${single.count.toLocaleString('en-US')} messages)`,
    )
    const workers = await Promise.all(
      Array.from({ length: PRODUCER_PROCS }, () =>
        child(['--import', 'tsx', 'bench/broker.ts', '--produce-worker', String(port)], {}, /^PRODUCED /),
      ),
    )
    const results = workers.map((w) => w.line.split(' ').slice(1).map(Number) as [number, number])
    const multiRate = results.reduce((sum, [, rate]) => sum + rate, 0)
    const produced = single.count + results.reduce((sum, [count]) => sum + count, 0)
    console.log(
      `kafkajs produce, ${PRODUCER_PROCS} producer processes: ${Math.round(multiRate).toLocaleString('en-US')} msg/s together`,
    )
    const producer = kafka.producer()
    await producer.connect()

    const consumer = kafka.consumer({
      groupId: 'bench-readers',
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 16 * 1024 * 1024,
    })
    await consumer.connect()
    await consumer.subscribe({ topic: 'bench', fromBeginning: true })
    let consumed = 0
    let cStart = 0
    const consumeRate = await new Promise<number>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          if (cStart === 0) cStart = Date.now()
          consumed += batch.messages.length
          if (consumed >= produced) resolve(consumed / ((Date.now() - cStart) / 1000))
        },
      })
    })
    await consumer.disconnect()
    console.log(
      `kafkajs consumer group read: ${Math.round(consumeRate).toLocaleString('en-US')} msg/s (${consumed.toLocaleString('en-US')} messages)`,
    )

    const latencies: number[] = []
    const reader = kafka.consumer({ groupId: 'bench-latency', maxWaitTimeInMs: 1000 })
    await reader.connect()
    await reader.subscribe({ topic: 'latency', fromBeginning: true })
    await reader.run({
      eachMessage: async ({ message }) => {
        latencies.push(Number(process.hrtime.bigint() - BigInt(message.value!.toString())) / 1e6)
      },
    })
    await new Promise((r) => setTimeout(r, 1500))
    const total = 1000 * PHASE_S
    const lStart = Date.now()
    const sends: Promise<unknown>[] = []
    for (let i = 0; i < total; i++) {
      const due = lStart + i
      const wait = due - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      sends.push(
        producer.send({ topic: 'latency', acks: -1, messages: [{ value: String(process.hrtime.bigint()) }] }),
      )
    }
    await Promise.all(sends)
    const deadline = Date.now() + 10_000
    while (latencies.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    await reader.disconnect()
    await producer.disconnect()
    const sorted = [...latencies].sort((a, b) => a - b)
    console.log(
      `produce-to-consume latency at 1,000 msg/s: p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms (${sorted.length}/${total} received)`,
    )

    console.log('\n| measure | rate | ratio to raw loopback echo |')
    console.log('|---|---|---|')
    console.log(
      `| raw loopback TCP echo (1 KiB, 100 per write) | ${Math.round(echo).toLocaleString('en-US')} msg/s | 1.00 |`,
    )
    const row = (what: string, rate: number) =>
      console.log(
        `| ${what} | ${Math.round(rate).toLocaleString('en-US')} msg/s | ${(rate / echo).toFixed(3)} |`,
      )
    row('kafkajs Produce v7 encoding alone, no socket (client ceiling)', encodeOnly)
    row('pre-encoded Produce v7 requests, 1 connection (broker capacity, no kafkajs)', raw)
    row('kafkajs produce, 1 producer, acks=-1, batches of 100', produceRate)
    row(`kafkajs produce, ${PRODUCER_PROCS} producer processes together`, multiRate)
    row('kafkajs consumer group read (1 member, eachBatch)', consumeRate)
    console.log(
      `| produce-to-consume latency at 1,000 msg/s | p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms | |`,
    )
  } finally {
    broker.kill('SIGTERM')
    await new Promise((r) => broker.once('exit', r))
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const workerAt = process.argv.indexOf('--produce-worker')
if (workerAt >= 0) {
  const port = process.argv[workerAt + 1]
  const kafka = new Kafka({
    brokers: [`127.0.0.1:${port}`],
    clientId: 'bench-worker',
    logLevel: logLevel.NOTHING,
  })
  const { count, rate } = await produceFor(kafka, PHASE_S)
  console.log(`PRODUCED ${count} ${rate}`)
} else {
  await main()
}
