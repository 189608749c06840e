import { mkdirSync } from 'node:fs'
import { newRegistry, ServiceHttp } from '../../../lib/http/index.ts'
import { createLogger, type Logger } from '../../../lib/log/index.ts'
import { BrokerCore } from './broker-core.ts'
import type { BrokerConfig } from './config.ts'
import { BrokerError } from './errors.ts'
import { BrokerMetrics } from './metrics.ts'
import { TcpServer } from './server/tcp-server.ts'

/** A running broker. */
export type Broker = {
  /** Advertised host clients use (also in Metadata). */
  host: string
  /** The Kafka port actually bound (useful with BROKER_PORT=0). */
  port: number
  /** `host:port`, ready for kafkajs `brokers: [...]` or KAFKA_BROKERS. */
  bootstrap: string
  /** The health/metrics HTTP port, or null when disabled. */
  httpPort: number | null
  core: BrokerCore
  /** Stops listening, answers parked requests, flushes and closes the log. */
  close: () => Promise<void>
}

/**
 * Opens (recovering if needed) the log under `config.dataDir`, then serves the Kafka protocol on
 * `config.host:config.port` and, unless `httpPort` is null, /healthz /readyz /metrics.
 */
export async function startBroker(
  config: BrokerConfig,
  log: Logger = createLogger('broker', config.logLevel),
): Promise<Broker> {
  try {
    mkdirSync(config.dataDir, { recursive: true })
  } catch (err) {
    throw new BrokerError(
      'BROKER_DATA_DIR_UNUSABLE',
      `cannot create data dir ${config.dataDir}: ${(err as Error).message}`,
      false,
      { cause: err },
    )
  }
  const registry = config.httpPort === null ? null : newRegistry('tokenline_broker')
  let core: BrokerCore | undefined
  const metrics = registry
    ? new BrokerMetrics(
        registry,
        () => {
          let n = 0
          for (const t of core?.topics.topics.values() ?? []) n += t.partitions.length
          return n
        },
        (set) => {
          if (!core) return
          for (const groupId of core.offsets.groupIds())
            for (const e of core.offsets.all(groupId)) {
              const p = core.topics.partition(e.topic, e.partition)
              if (p) set(groupId, e.topic, e.partition, Math.max(0, p.nextOffset - e.offset))
            }
        },
      )
    : null
  core = new BrokerCore(config, metrics, log)
  const tcp = new TcpServer(core)
  let port: number
  try {
    port = await tcp.listen(config.host, config.port)
  } catch (err) {
    core.close()
    throw new BrokerError(
      'BROKER_LISTEN_FAILED',
      `cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`,
      true,
      { cause: err },
    )
  }
  core.advertised = { host: config.advertisedHost, port }
  let http: ServiceHttp | null = null
  if (registry && config.httpPort !== null) {
    http = new ServiceHttp({ host: config.host, port: config.httpPort, ready: () => true, registry })
    await http.listen()
  }
  const timers: NodeJS.Timeout[] = []
  if (config.fsync === 'interval') timers.push(setInterval(() => core.flushAll(), config.fsyncIntervalMs))
  timers.push(setInterval(() => core.clean(Date.now()), config.cleanerIntervalMs))
  for (const t of timers) t.unref()
  log.info(
    {
      host: config.host,
      port,
      advertised: core.advertised,
      httpPort: http?.port ?? null,
      dataDir: config.dataDir,
      fsync: config.fsync,
    },
    'broker listening',
  )
  let closing: Promise<void> | undefined
  return {
    host: core.advertised.host,
    port,
    bootstrap: `${core.advertised.host}:${port}`,
    httpPort: http?.port ?? null,
    core,
    close: () => {
      closing ??= (async () => {
        for (const t of timers) clearInterval(t)
        await tcp.close()
        await http?.close()
        core.close()
      })()
      return closing
    },
  }
}
