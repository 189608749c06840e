/**
 * Gateway benchmark (issues 12 and 17): GraphQL over HTTP against 1,000,000 inspections in
 * PostgreSQL, compared with `{ __typename }` (the HTTP + Apollo ceiling) in the same run.
 *
 *   npm run bench:gateway
 *   BENCH_ROWS=200000 BENCH_SECONDS=3 npm run bench:gateway     (a quicker pass)
 *   BENCH_PGLITE_ROWS=0 npm run bench:gateway                   (skip the PGlite phase)
 *   TOKENLINE_BENCH_DATABASE_URL=postgres://…/postgres           (server to create the bench database on)
 *   BENCH_CACHE_MS=0,1000 npm run bench:gateway                 (one pass per GATEWAY_RESPONSE_CACHE_MS; default)
 *
 * PostgreSQL phase: a fresh database seeded in SQL (`insert … select generate_series`): 3 plants ×
 * 4 lines, BENCH_ROWS inspections 0.6 s apart (1 M ≈ 7 days), one in ten escalated to the cloud,
 * with their cost-ledger rows; then the gateway as its own process (as deployed) and autocannon
 * in this one, POSTing with the admin key: (a) the latest 50 inspections of a line, (a+) the same
 * with totalCount (counted up to 10,000), (b) line stats over 24 h, (c) `{ __typename }`, each
 * closed-loop at rising concurrency and open-loop at 200 req/s (evenly spaced, see `paced`); then (d) the audit's abusive
 * queries, which must be refused. The whole pass runs once with the response cache off and once
 * with it at its default (a fresh gateway process each): every load generator connection repeats
 * one identical query, the best case for the cache (many dashboards polling one line).
 *
 * PGlite phase (the embedded database of `npm start` runs on the gateway's event loop): the
 * gateway in this process on BENCH_PGLITE_ROWS rows, each allowed heavy query run alone while
 * the event loop's delay is sampled: the longest stall is how long /healthz would wait.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { pino } from 'pino'
import { openStorage, type Storage } from '../lib/db/index.ts'
import { loadConfig } from '../services/gateway/src/config.ts'
import { startGateway } from '../services/gateway/src/gateway.ts'

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const PGLITE_ROWS = Number(process.env.BENCH_PGLITE_ROWS ?? 200_000)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,8,32').split(',').map(Number)
const RATE = 200
/** Sockets the paced open loop may open (more only queue in the agent). */
const PACED_SOCKETS = 16
/** One pass per value of GATEWAY_RESPONSE_CACHE_MS, each on a fresh gateway process (0 = cache off). */
const CACHE_MS = (process.env.BENCH_CACHE_MS ?? '0,1000').split(',').map(Number)
/** Runs of each query in the PGlite phase. */
const RUNS = 5
const ADMIN_URL = process.env.TOKENLINE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const ADMIN_KEY = `tl_bench_admin_${'x'.repeat(24)}`
const root = new URL('..', import.meta.url).pathname

type AutocannonResult = {
  requests: { average: number; total: number }
  latency: { p50: number; p99: number; average: number }
  non2xx: number
  errors: number
  timeouts: number
  '2xx': number
}
type AutocannonOptions = {
  url: string
  method: 'POST'
  headers: Record<string, string>
  body: string
  connections: number
  duration: number
  overallRate?: number
}
const autocannon = createRequire(import.meta.url)('autocannon') as (
  o: AutocannonOptions,
) => Promise<AutocannonResult>

// ---- queries ---------------------------------------------------------------------------------

const latest50 = `query Latest($line: ID!) {
  inspections(first: 50, filter: { lineId: $line }) {
    edges { node { id receivedAt verdict decidedBy escalated latencyMs
      edge { label budget tokens probabilities { label probability } } cloud { label budget tokens } } }
    pageInfo { endCursor hasNextPage }
  }
}`
const latest50Counted = latest50
  .replace('query Latest', 'query LatestCounted')
  .replace('pageInfo {', 'totalCount pageInfo {')
const lineStats = `query Stats($line: ID!, $from: DateTime, $to: DateTime) {
  lineStats(lineId: $line, from: $from, to: $to) {
    inspections pending held escalated escalationRate byVerdict { verdict count }
    escalatedAgreement { agree total rate } tokens { edge cloud costPerHour peakCapUsed }
    latency { p50 p95 p99 } edgeLatency { p50 p99 } cloudLatency { p50 p99 }
  }
}`
const ceiling = '{ __typename }'

/** `plants { lines { plant { lines … } } }` nested `depth` fields deep (the audit's query). */
function nested(depth: number): string {
  let body = '{ id }'
  for (let level = depth - 1; level >= 1; level--) body = `{ ${level % 2 === 1 ? 'lines' : 'plant'} ${body} }`
  return `{ plants ${body} }`
}
const aliases = (n: number) =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: scalingReports { id }`).join(' ')} }`

// ---- seeding ---------------------------------------------------------------------------------

/** Plants, lines and `rows` inspections (plus their ledger rows) in plain SQL, newest at `now`. */
const seedSql = (rows: number, now: string) => [
  `insert into plants (id, name, created_at) select 'plant-' || p, 'Plant ' || p, now() from generate_series(1, 3) p on conflict do nothing`,
  `insert into lines (id, plant_id, name, created_at) select 'line-' || p || '-' || l, 'plant-' || p, 'Line ' || p || '.' || l, now()
     from generate_series(1, 3) p, generate_series(1, 4) l on conflict do nothing`,
  `insert into inspections (id, line_id, plant_id, received_at, decided_at, policy_version,
     edge_label, edge_probabilities, edge_budget, edge_tokens, edge_model, edge_latency_ms, edge_cost,
     cloud_label, cloud_probabilities, cloud_budget, cloud_tokens, cloud_model, cloud_latency_ms, cloud_cost,
     verdict, decided_by, escalated, disposition, edge_confidence, latency_ms, updated_at)
   select gen_random_uuid(),
     'line-' || (1 + g % 3) || '-' || (1 + (g / 3) % 4), 'plant-' || (1 + g % 3),
     t, t + interval '20 ms', 1,
     case when g % 7 = 0 then 'pit' else 'ok' end, '{"ok": 0.8, "pit": 0.2}'::jsonb, 16, 16, 'edge-vit-s', 4.5, 0.0016,
     case when g % 10 = 0 then 'pit' end, case when g % 10 = 0 then '{"ok": 0.1, "pit": 0.9}'::jsonb end,
     case when g % 10 = 0 then 256 end, case when g % 10 = 0 then 262 end, case when g % 10 = 0 then 'cloud-vit-m' end,
     case when g % 10 = 0 then 180 end, case when g % 10 = 0 then 0.262 end,
     case when g % 10 = 0 then 'pit' when g % 7 = 0 then 'pit' else 'ok' end,
     case when g % 10 = 0 then 'cloud' else 'edge' end, g % 10 = 0,
     case when g % 10 = 0 then 'escalated' else 'accepted' end, 0.8,
     case when g % 10 = 0 then 200 else 20 end, t
   from (select g, '${now}'::timestamptz - g * interval '600 ms' as t from generate_series(1, ${rows}) g) s`,
  `insert into cost_ledger (line_id, inspection_id, tier, tokens, cost, at)
     select line_id, id, 'edge', edge_tokens, edge_cost, received_at from inspections`,
  `insert into cost_ledger (line_id, inspection_id, tier, tokens, cost, at)
     select line_id, id, 'cloud', cloud_tokens, cloud_cost, received_at from inspections where escalated`,
  // As autovacuum leaves a table in steady state: statistics and the visibility map (index-only scans).
  'vacuum analyze',
]

// ---- measuring -------------------------------------------------------------------------------

type Row = { name: string; mode: string; rps: number; p50: number; p99: number; failed: number }

async function load(
  url: string,
  name: string,
  query: string,
  variables: Record<string, unknown>,
  connections: number,
  overallRate?: number,
  seconds = SECONDS,
): Promise<Row> {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ query, variables }),
    connections,
    duration: seconds,
    ...(overallRate ? { overallRate } : {}),
  })
  return {
    name,
    mode: overallRate ? `${overallRate} req/s, ${connections} conn` : `${connections} conn`,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    failed: r.non2xx + r.errors + r.timeouts,
  }
}

/**
 * Open loop at RATE req/s with evenly spaced sends (one every 1000 / RATE ms) over at most
 * PACED_SOCKETS keep-alive sockets. autocannon's `overallRate` paces each connection on its own,
 * all from the same start, so 16 connections at 200 req/s send 16 requests at once every 80 ms:
 * the p99 then measures a 16-deep burst, not the gateway at 200 req/s (measured: p99 118–134 ms at
 * 16 connections against 32–48 ms at 4, same offered rate). Latency runs from the scheduled send
 * time, so a late send caused by a slow answer counts against the answer (no coordinated omission).
 */
async function paced(
  url: string,
  name: string,
  query: string,
  variables: Record<string, unknown>,
  seconds = SECONDS,
): Promise<Row> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: PACED_SOCKETS })
  const body = JSON.stringify({ query, variables })
  const target = new URL(url)
  const latencies: number[] = []
  let failed = 0
  const send = (scheduled: number) =>
    new Promise<void>((done) => {
      const request = http.request(
        target,
        {
          agent,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${ADMIN_KEY}`,
          },
        },
        (res) => {
          res.resume()
          res.on('end', () => {
            if (res.statusCode !== 200) failed += 1
            latencies.push(performance.now() - scheduled)
            done()
          })
        },
      )
      request.on('error', () => {
        failed += 1
        done()
      })
      request.end(body)
    })
  const total = Math.round(RATE * seconds)
  const start = performance.now() + 10
  const inFlight: Promise<void>[] = []
  for (let i = 0; i < total; i++) {
    const scheduled = start + (i * 1000) / RATE
    const wait = scheduled - performance.now()
    if (wait > 1) await sleep(wait)
    inFlight.push(send(scheduled))
  }
  await Promise.all(inFlight)
  const elapsed = (performance.now() - start) / 1000
  agent.destroy()
  latencies.sort((a, b) => a - b)
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0)
  return {
    name,
    mode: `${RATE} req/s paced, ≤ ${PACED_SOCKETS} conn`,
    rps: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    failed,
  }
}

async function post(url: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ query, variables }),
  })
  return {
    status: res.status,
    body: (await res.json()) as {
      data?: unknown
      errors?: { message: string; extensions?: { code?: string } }[]
    },
  }
}

function table(rows: Row[], ceilingRps: Map<string, number>): void {
  console.log('| query | load | req/s | p50 ms | p99 ms | failed | ÷ ceiling req/s (same load) |')
  console.log('|---|---|---:|---:|---:|---:|---:|')
  for (const r of rows) {
    const base = ceilingRps.get(r.mode)
    const ratio = base ? (r.rps / base).toFixed(2) : ''
    console.log(
      `| ${r.name} | ${r.mode} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.failed} | ${ratio} |`,
    )
  }
}

async function startGatewayProcess(
  databaseUrl: string,
  cacheMs: number,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/gateway/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      GATEWAY_PORT: '0',
      GATEWAY_ADMIN_KEY: ADMIN_KEY,
      // The load generator is one key: the per-key rate limit (50/s by default) would cap the run.
      GATEWAY_RATE_LIMIT_PER_SECOND: '0',
      GATEWAY_RESPONSE_CACHE_MS: String(cacheMs),
      TOKENLINE_MODELS_DIR: join(root, 'models'),
      KAFKA_BROKERS: '',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  for (;;) {
    const url = /gateway ready: GraphQL at (http:\/\/[^"\s]+\/graphql)/.exec(output)?.[1]
    if (url) return { child, url }
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}:\n${output}`)
    await sleep(100)
  }
}

/** One statement on the server's maintenance database, on a connection of its own (held for no longer). */
async function adminQuery(statement: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  try {
    await admin.query(statement)
  } finally {
    await admin.end()
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

// ---- phases ----------------------------------------------------------------------------------

async function postgresPhase(): Promise<void> {
  const name = `tokenline_bench_${Date.now().toString(36)}`
  await adminQuery(`create database "${name}"`)
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  const databaseUrl = url.toString()
  let gateway: ChildProcess | undefined
  try {
    const storage = await openStorage({ driver: 'postgres', url: databaseUrl })
    await storage.close()
    const client = new pg.Client({ connectionString: databaseUrl })
    client.on('error', () => undefined)
    await client.connect()
    const version = (await client.query<{ server_version: string }>('show server_version')).rows[0]!
      .server_version
    const seedStart = performance.now()
    const now = new Date().toISOString()
    for (const statement of seedSql(ROWS, now)) await client.query(statement)
    const seedS = (performance.now() - seedStart) / 1000
    await client.end()
    console.log(
      `PostgreSQL ${version}: seeded ${ROWS.toLocaleString('en')} inspections in ${seedS.toFixed(1)} s`,
    )

    const line = { line: 'line-1-1' }
    const window = { ...line, from: new Date(Date.parse(now) - 24 * 3600_000).toISOString(), to: now }
    for (const cacheMs of CACHE_MS) {
      const started = await startGatewayProcess(databaseUrl, cacheMs)
      gateway = started.child
      console.log(
        `\n### GATEWAY_RESPONSE_CACHE_MS=${cacheMs}${cacheMs === 0 ? ' (response cache off)' : ''}\n`,
      )
      await measure(started.url, line, window)
      const exited = new Promise((done) => gateway?.once('exit', done))
      gateway.kill('SIGTERM')
      await exited
      gateway = undefined
    }
  } finally {
    if (gateway && gateway.exitCode === null) {
      const exited = new Promise((done) => gateway?.once('exit', done))
      gateway.kill('SIGTERM')
      await exited
    }
    await adminQuery(`drop database if exists "${name}" with (force)`)
  }
}

/** Every query at every load against one running gateway; prints the table and the goals. */
async function measure(
  gql: string,
  line: { line: string },
  window: { line: string; from: string; to: string },
): Promise<void> {
  const probe = await post(gql, latest50, line)
  if (probe.status !== 200 || probe.body.errors)
    throw new Error(`latest 50 failed: ${JSON.stringify(probe.body)}`)
  const statsProbe = await post(gql, lineStats, window)
  const statsServed = statsProbe.status === 200 && !statsProbe.body.errors
  if (!statsServed) {
    console.log(
      `(b) line stats: not served by this build (${statsProbe.body.errors?.[0]?.extensions?.code ?? statsProbe.status}: ${statsProbe.body.errors?.[0]?.message ?? ''}); skipped — it lands with the ingest branch`,
    )
  }
  // Warm-up: connection pool, JIT, plan caches.
  await load(gql, 'warm-up', latest50, line, 8, undefined, 2)

  const rows: Row[] = []
  const ceilingRps = new Map<string, number>()
  for (const connections of CONCURRENCY) {
    const c = await load(gql, '(c) { __typename }', ceiling, {}, connections)
    ceilingRps.set(c.mode, c.rps)
    rows.push(c)
    rows.push(await load(gql, '(a) latest 50 of a line', latest50, line, connections))
    rows.push(await load(gql, '(a+) latest 50 + totalCount', latest50Counted, line, connections))
    if (statsServed) rows.push(await load(gql, '(b) line stats, 24 h', lineStats, window, connections))
  }
  const c = await paced(gql, '(c) { __typename }', ceiling, {})
  ceilingRps.set(c.mode, c.rps)
  rows.push(c)
  rows.push(await paced(gql, '(a) latest 50 of a line', latest50, line))
  rows.push(await paced(gql, '(a+) latest 50 + totalCount', latest50Counted, line))
  if (statsServed) rows.push(await paced(gql, '(b) line stats, 24 h', lineStats, window))

  const abusive: [string, string][] = [
    ['(d) 12 deep plants { lines { plant …', nested(12)],
    ['(d) 50 deep', nested(50)],
    ['(d) 1,000 aliases of scalingReports { id }', aliases(1000)],
    ['(d) 8 deep (cost ~1.2 M)', nested(8)],
  ]
  for (const [label, query] of abusive) {
    const answer = await post(gql, query)
    const code = answer.body.errors?.map((e) => e.extensions?.code).join(',')
    console.log(`${label}: HTTP ${answer.status} ${code}`)
    rows.push(await load(gql, `${label} → ${code}`, query, {}, 8, undefined, Math.min(SECONDS, 3)))
  }
  // abusive answers are 400 by design: their "failed" column counts the refusals
  console.log()
  table(rows, ceilingRps)
  const at200 = rows.filter((r) => r.mode.startsWith(`${RATE} req/s`))
  console.log()
  for (const r of at200)
    console.log(
      `goal p99 ≤ 25 ms at ${RATE} req/s: ${r.name}: p99 ${r.p99} ms → ${r.p99 <= 25 ? 'met' : 'NOT met'}`,
    )
  for (const r of rows.filter((r) => r.name.startsWith('(a') || r.name.startsWith('(b'))) {
    const base = ceilingRps.get(r.mode)
    if (base && !r.mode.includes('req/s')) {
      console.log(
        `goal ≥ 0.5 of the ceiling: ${r.name} at ${r.mode}: ${(r.rps / base).toFixed(2)} → ${r.rps / base >= 0.5 ? 'met' : 'NOT met'}`,
      )
    }
  }
}

async function pglitePhase(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tokenline-bench-pglite-'))
  try {
    const storage: Storage = await openStorage({ driver: 'pglite', dataDir })
    await storage.close()
    const db = new PGlite(join(dataDir, 'pglite'))
    const seedStart = performance.now()
    const now = new Date().toISOString()
    for (const statement of seedSql(PGLITE_ROWS, now)) await db.exec(statement)
    await db.close()
    console.log(
      `\nPGlite: seeded ${PGLITE_ROWS.toLocaleString('en')} inspections in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
    )
    const gateway = await startGateway(
      loadConfig({
        GATEWAY_PORT: '0',
        TOKENLINE_DATA_DIR: dataDir,
        TOKENLINE_MODELS_DIR: join(root, 'models'),
        GATEWAY_ADMIN_KEY: ADMIN_KEY,
        GATEWAY_RATE_LIMIT_PER_SECOND: '0',
      }),
      { log: pino({ level: 'silent' }) },
    )
    try {
      const line = { line: 'line-1-1' }
      const heavy: [string, string, Record<string, unknown>][] = [
        ['(baseline, no database) { __typename }', ceiling, {}],
        ['(baseline, one small query) { plants { id } }', '{ plants { id } }', {}],
        ['latest 50 of a line', latest50, line],
        ['latest 50 of a line + totalCount (≤ 10,000)', latest50Counted, line],
        [
          'first 100, all fields, plant { lines }, reviews',
          `{ inspections(first: 100) { edges { node { id receivedAt verdict question escalated line { id name } plant { id lines { id name } }
             edge { label probabilities { label probability } budget tokens model latencyMs }
             cloud { label probabilities { label probability } budget tokens model latencyMs answerProbability }
             tokens { edge cloud total } cost { edge cloud total } reviews { id label } } } } }`,
          {},
        ],
        [
          'verdict pit + decidedBy CLOUD, totalCount(atMost: 100000)',
          '{ inspections(first: 100, filter: { verdict: "pit", decidedBy: CLOUD }) { totalCount(atMost: 100000) edges { node { id } } } }',
          {},
        ],
        [
          'all inspections, totalCount(atMost: 100000)',
          '{ inspections(first: 1) { totalCount(atMost: 100000) } }',
          {},
        ],
        ['plants { lines { plant { lines { plant { lines { id } } } } } }', nested(6), {}],
        [
          'scalingReports, every field',
          '{ scalingReports { id model points { budget accuracy error ece perClass { label recall } answerAccuracy visionAnswerAccuracy } fit { overall { c alpha r2 } perClass { label c alpha } } } }',
          {},
        ],
      ]
      console.log(
        `\n| allowed query (PGlite, in the gateway process; ${RUNS} runs after one warm-up) | answer ms, median | event-loop stall ms, median of each run's longest | longest stall ms, all runs | code |`,
      )
      console.log('|---|---:|---:|---:|---|')
      for (const [label, query, variables] of heavy) {
        await post(gateway.graphqlUrl, query, variables)
        const answers: number[] = []
        const stalls: number[] = []
        let code = 'ok'
        for (let run = 0; run < RUNS; run++) {
          const histogram = monitorEventLoopDelay({ resolution: 5 })
          histogram.enable()
          const start = performance.now()
          const answer = await post(gateway.graphqlUrl, query, variables)
          answers.push(performance.now() - start)
          histogram.disable()
          stalls.push(histogram.max / 1e6)
          code = answer.body.errors?.map((e) => e.extensions?.code).join(',') ?? 'ok'
        }
        console.log(
          `| ${label} | ${median(answers).toFixed(0)} | ${median(stalls).toFixed(0)} | ${Math.max(...stalls).toFixed(0)} | ${code} |`,
        )
      }
    } finally {
      await gateway.close()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const pkg = (name: string) =>
  (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version
console.log(
  `Machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} logical cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} at start`,
)
console.log(
  `Versions: node ${process.version}, @apollo/server ${pkg('@apollo/server')}, graphql ${pkg('graphql')}, pg ${pkg('pg')}, drizzle-orm ${pkg('drizzle-orm')}, @electric-sql/pglite ${pkg('@electric-sql/pglite')}, autocannon ${pkg('autocannon')}`,
)
console.log(
  `Command: npm run bench:gateway (BENCH_ROWS=${ROWS}, BENCH_SECONDS=${SECONDS}, BENCH_CONCURRENCY=${CONCURRENCY.join(',')}, BENCH_PGLITE_ROWS=${PGLITE_ROWS}); gateway defaults (pool 10, GATEWAY_RATE_LIMIT_PER_SECOND 0, GATEWAY_REQUEST_TIMEOUT_MS 5000, GATEWAY_MAX_COMPLEXITY 20000)\n`,
)
if (ROWS > 0) await postgresPhase()
if (PGLITE_ROWS > 0) await pglitePhase()
