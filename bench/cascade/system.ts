/**
 * The whole platform in this process, as `npm start` wires it but without the demo: the embedded
 * broker, the gateway (PGlite in a temp dir, or a fresh PostgreSQL database), one edge node serving
 * every benchmark line (its own PGlite, or its own fresh PostgreSQL database) and one cloud
 * instance, all with the models in `modelsDir`. Everything is torn down (temp dirs removed,
 * databases dropped) by `close()`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { Logger } from '../../lib/log/index.ts'
import { startBroker } from '../../services/broker/src/broker.ts'
import { loadConfig as brokerConfig } from '../../services/broker/src/config.ts'
import { startCloud } from '../../services/cloud/src/cloud.ts'
import { loadConfig as cloudConfig } from '../../services/cloud/src/config.ts'
import { loadConfig as edgeConfig } from '../../services/edge/src/config.ts'
import { startEdge } from '../../services/edge/src/edge.ts'
import { loadConfig as gatewayConfig } from '../../services/gateway/src/config.ts'
import { startGateway } from '../../services/gateway/src/gateway.ts'

export type SystemOptions = {
  modelsDir: string
  plantId: string
  lineIds: string[]
  cloudModel: string
  adminKey: string
  /** Edge ingest concurrency (EDGE_CONCURRENCY); its queue holds 4× that. */
  edgeConcurrency: number
  /** Server URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) to create the two databases on; null = PGlite. */
  postgresUrl: string | null
  log: Logger
}

export type RunningSystem = {
  graphqlUrl: string
  edgeUrl: string
  /** What runs where, for the benchmark's header. */
  description: string
  close: () => Promise<void>
}

async function createDatabase(
  serverUrl: string,
  name: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  try {
    await admin.query(`create database "${name}"`)
  } finally {
    await admin.end()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl })
      await c.connect()
      try {
        await c.query(`drop database if exists "${name}" with (force)`)
      } finally {
        await c.end()
      }
    },
  }
}

export async function startSystem(o: SystemOptions): Promise<RunningSystem> {
  const root = mkdtempSync(join(tmpdir(), 'tokenline-bench-cascade-'))
  const closers: Array<() => Promise<void>> = [async () => rmSync(root, { recursive: true, force: true })]
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err) => o.log.error({ err }, 'close failed'))
  }
  try {
    const broker = await startBroker(
      {
        ...brokerConfig({ TOKENLINE_DATA_DIR: join(root, 'broker'), BROKER_PORT: '0', LOG_LEVEL: 'silent' }),
        httpPort: null,
      },
      o.log,
    )
    closers.push(() => broker.close())
    const kafka = broker.bootstrap
    const stamp = `${Date.now().toString(36)}_${process.pid}`
    let gatewayDb: string | undefined
    let edgeDb: string | undefined
    if (o.postgresUrl !== null) {
      const g = await createDatabase(o.postgresUrl, `tokenline_bench_cascade_gw_${stamp}`)
      closers.push(g.drop)
      const e = await createDatabase(o.postgresUrl, `tokenline_bench_cascade_edge_${stamp}`)
      closers.push(e.drop)
      gatewayDb = g.url
      edgeDb = e.url
    }
    const gateway = await startGateway(
      gatewayConfig({
        GATEWAY_PORT: '0',
        TOKENLINE_DATA_DIR: join(root, 'gateway'),
        ...(gatewayDb ? { DATABASE_URL: gatewayDb } : {}),
        KAFKA_BROKERS: kafka,
        TOKENLINE_MODELS_DIR: o.modelsDir,
        GATEWAY_ADMIN_KEY: o.adminKey,
        // The benchmark polls for settled results: a cached answer would only delay it.
        GATEWAY_RESPONSE_CACHE_MS: '0',
        GATEWAY_RATE_LIMIT_PER_SECOND: '0',
        // A replay computes the line's candidate grid while the edge and cloud share the same cores.
        GATEWAY_REQUEST_TIMEOUT_MS: '120000',
        GATEWAY_REPLAY_MAX_MS: '120000',
        LOG_LEVEL: 'silent',
      }),
      { log: o.log },
    )
    closers.push(() => gateway.close())
    const edge = await startEdge(
      edgeConfig({
        EDGE_PORT: '0',
        EDGE_NODE_ID: 'bench',
        EDGE_LINES: o.lineIds.map((l) => `${o.plantId}/${l}`).join(','),
        TOKENLINE_DATA_DIR: join(root, 'edge'),
        ...(edgeDb ? { EDGE_DATABASE_URL: edgeDb } : {}),
        KAFKA_BROKERS: kafka,
        TOKENLINE_MODELS_DIR: o.modelsDir,
        EDGE_CONCURRENCY: String(o.edgeConcurrency),
        EDGE_QUEUE_MAX: String(o.edgeConcurrency * 4),
        EDGE_MIN_FREE_DISK_BYTES: '0',
        LOG_LEVEL: 'silent',
      }),
      { log: o.log },
    )
    closers.push(() => edge.close())
    const cloud = await startCloud(
      cloudConfig({
        KAFKA_BROKERS: kafka,
        CLOUD_PORT: '0',
        TOKENLINE_MODELS_DIR: o.modelsDir,
        CLOUD_MODELS: o.cloudModel,
        INFERENCE_EXECUTION_PROVIDERS: 'cpu',
        LOG_LEVEL: 'silent',
      }),
      { log: o.log },
    )
    closers.push(() => cloud.close())
    return {
      graphqlUrl: gateway.graphqlUrl,
      edgeUrl: edge.url,
      description: `one process: embedded broker, gateway (${gatewayDb ? 'PostgreSQL' : 'PGlite'}), edge (${edgeDb ? 'PostgreSQL' : 'PGlite'}, EDGE_CONCURRENCY ${o.edgeConcurrency}, 1 inference worker), cloud (${o.cloudModel}, 1 inference worker, defaults CLOUD_MAX_BATCH 16)`,
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}
