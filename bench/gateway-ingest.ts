/**
 * Gateway ingest benchmark: results and verdicts published to the embedded broker, then the
 * gateway's Kafka ingest (KafkaIngest: contract decode, one transaction per batch, offset commit)
 * reads them into the database; compared with a plain kafkajs consumer group reading and
 * decoding the same records with no database, in the same run (the broker's loopback rate).
 *
 *   npm run bench:gateway-ingest
 *   BENCH_RESULTS=4000 npm run bench:gateway-ingest        (results per round; default 3000)
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:gateway-ingest
 *     (adds a PostgreSQL round: a fresh database is created there and dropped)
 *
 * Records: BENCH_RESULTS results (1 in 4 escalated, the rest accepted; 3 labels, ladder [16])
 * and one v2 verdict per escalated result, keyed by line (8 lines of one plant), 6 partitions.
 * The broker runs as its own process, as in production; the ingest and the baseline run here.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Kafka, logLevel } from 'kafkajs'
import pg from 'pg'
import { pino } from 'pino'
import { openStorage, type Storage } from '../lib/db/index.ts'
import { openMessaging, resultV1, verdictV2 } from '../lib/messaging/index.ts'
import { freePort } from '../scripts/internal/free-port.ts'
import { GatewayEvents } from '../services/gateway/src/events/gateway-events.ts'
import { KafkaIngest } from '../services/gateway/src/ingest/kafka.ingest.ts'
import {
  result,
  verdictV2 as verdictFor,
} from '../test/integration/services/gateway/ingest/ingest-fixture.ts'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const N = Number(process.env.BENCH_RESULTS ?? 3000)
const LINES = 8
const log = pino({ level: 'silent' })

async function spawnBroker(port: number, dataDir: string): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'services/broker/src/main.ts'], {
    env: {
      ...process.env,
      BROKER_PORT: String(port),
      BROKER_HTTP_PORT: '0',
      TOKENLINE_DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`broker exited ${code}`)))
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line.includes('broker listening')) resolve()
    })
  })
  return proc
}

/** Publishes N results and their verdicts; returns the count and the produce rate. */
async function publish(brokers: string[]): Promise<{ records: number; produceRate: number }> {
  const messaging = await openMessaging({ brokers, clientId: 'bench-producer', logger: log })
  const t0 = Date.parse('2026-11-08T00:00:00Z')
  const results = Array.from({ length: N }, (_, i) =>
    result({
      capturedAt: new Date(t0 + i * 100).toISOString(),
      lineId: `line-${i % LINES}`,
      label: ['ok', 'pit', 'scratch'][i % 3],
      ...(i % 4 === 0 ? { disposition: 'escalated' as const, reason: 'confidence' as const } : {}),
    }),
  )
  const verdicts = results.filter((r) => r.disposition === 'escalated').map((r) => verdictFor(r, 'pit'))
  const started = performance.now()
  for (let i = 0; i < results.length; i += 500) {
    await messaging.producer.publishBatch(
      resultV1,
      results.slice(i, i + 500).map((r) => ({ key: r.lineId, message: r })),
    )
  }
  for (let i = 0; i < verdicts.length; i += 500) {
    await messaging.producer.publishBatch(
      verdictV2,
      verdicts.slice(i, i + 500).map((v) => ({ key: v.lineId, message: v })),
    )
  }
  const seconds = (performance.now() - started) / 1000
  await messaging.close()
  const records = results.length + verdicts.length
  return { records, produceRate: records / seconds }
}

/** A kafkajs consumer group reading and decoding every record of both topics: the loopback baseline. */
async function baseline(brokers: string[], records: number): Promise<number> {
  const kafka = new Kafka({ brokers, clientId: 'bench-baseline', logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `bench-baseline-${randomUUID()}`, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topics: [resultV1.topic, verdictV2.topic], fromBeginning: true })
  let seen = 0
  let started = 0
  let done!: () => void
  const finished = new Promise<void>((resolve) => {
    done = resolve
  })
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (started === 0) started = performance.now()
      const contract = batch.topic === resultV1.topic ? resultV1 : verdictV2
      for (const m of batch.messages)
        (contract.decode as (v: Buffer | null, h: unknown) => unknown)(m.value, m.headers)
      seen += batch.messages.length
      if (seen >= records) done()
    },
  })
  await finished
  const seconds = (performance.now() - started) / 1000
  await consumer.disconnect()
  return records / seconds
}

async function ingestRound(
  brokers: string[],
  storage: Storage,
  records: number,
): Promise<{ rate: number; joinS: number; afterJoinRate: number }> {
  const ingest = new KafkaIngest({
    brokers,
    storage,
    events: new GatewayEvents(),
    log,
    groupPrefix: `bench-${randomUUID().slice(0, 8)}`,
  })
  const started = performance.now()
  ingest.start()
  await ingest.joined()
  const joined = performance.now()
  for (;;) {
    const stored = await storage.inspections.count({})
    const decided = await storage.inspections.count({ decidedBy: 'cloud' })
    if (stored >= N && decided >= records - N) break
    await new Promise((r) => setTimeout(r, 50))
  }
  const done = performance.now()
  await ingest.close()
  return {
    rate: records / ((done - started) / 1000),
    joinS: (joined - started) / 1000,
    afterJoinRate: records / ((done - joined) / 1000),
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenline-bench-ingest-'))
  const port = await freePort('127.0.0.1')
  const broker = await spawnBroker(port, dir)
  const brokers = [`127.0.0.1:${port}`]
  const rows: string[] = []
  try {
    const { records, produceRate } = await publish(brokers)
    const loopback = await baseline(brokers, records)
    console.log(
      `published ${records} records at ${produceRate.toFixed(0)}/s; loopback consume ${loopback.toFixed(0)}/s`,
    )
    const rounds: { name: string; open: () => Promise<{ storage: Storage; drop: () => Promise<void> }> }[] = [
      {
        name: 'PGlite (in memory)',
        open: async () => {
          const storage = await openStorage({ driver: 'pglite-memory' })
          return { storage, drop: () => storage.close() }
        },
      },
    ]
    const pgUrl = process.env.BENCH_DATABASE_URL
    if (pgUrl) {
      rounds.push({
        name: 'PostgreSQL',
        open: async () => {
          const name = `tokenline_bench_${Date.now().toString(36)}`
          const admin = new pg.Client({ connectionString: pgUrl })
          await admin.connect()
          await admin.query(`create database "${name}"`)
          const url = new URL(pgUrl)
          url.pathname = `/${name}`
          const storage = await openStorage({ driver: 'postgres', url: url.toString() })
          return {
            storage,
            drop: async () => {
              await storage.close()
              await admin.query(`drop database if exists "${name}" with (force)`)
              await admin.end()
            },
          }
        },
      })
    }
    for (const round of rounds) {
      const { storage, drop } = await round.open()
      try {
        const { rate, joinS, afterJoinRate } = await ingestRound(brokers, storage, records)
        rows.push(
          `| ${round.name} | ${records} | ${rate.toFixed(0)} | ${joinS.toFixed(1)} | ${afterJoinRate.toFixed(0)} | ${loopback.toFixed(0)} | ${(rate / loopback).toFixed(3)} |`,
        )
      } finally {
        await drop()
      }
    }
    console.log(
      `\nnode ${process.version}, ${cpus().length}× ${cpus()[0]?.model}, load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}, ${N} results + ${records - N} verdicts, ${LINES} lines, batch 64\n`,
    )
    console.log(
      '| database | records | ingest records/s (from start) | of which joining groups (s) | records/s after joining | loopback consume records/s | ingest ÷ loopback |',
    )
    console.log('|---|---:|---:|---:|---:|---:|---:|')
    for (const row of rows) console.log(row)
  } finally {
    broker.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
