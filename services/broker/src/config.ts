import { z } from 'zod'
import {
  booleanVar,
  commonEnvShape,
  type Env,
  parseEnv,
  portVar,
  positiveIntVar,
} from '../../../lib/config/index.ts'

const limitVar = (defaultValue: number, what: string) =>
  z.coerce
    .number({ error: `expected ${what}` })
    .int({ error: `expected ${what}` })
    .min(-1, { error: `expected ${what}` })
    .default(defaultValue)

const DAY_MS = 86_400_000

const shape = {
  ...commonEnvShape,
  /** Kafka protocol port; 0 picks a free one (tests). Default 9092. */
  BROKER_PORT: portVar(9092),
  /** Health/metrics HTTP port (/healthz /readyz /metrics); 0 picks a free one. Default 9093. */
  BROKER_HTTP_PORT: portVar(9093),
  /** Host name returned to clients in Metadata/FindCoordinator; defaults to the bind host. */
  BROKER_ADVERTISED_HOST: z.string().optional(),
  /** Partitions of auto-created topics and of CreateTopics with num_partitions -1. Default 3. */
  BROKER_DEFAULT_PARTITIONS: positiveIntVar(3, 'a positive number of partitions'),
  /** Create unknown topics on Metadata requests that allow it. Default true. */
  BROKER_AUTO_CREATE_TOPICS: booleanVar(true),
  /** Delete closed segments older than this, ms; -1 keeps forever. Default 7 days. */
  BROKER_RETENTION_MS: limitVar(7 * DAY_MS, 'milliseconds >= -1'),
  /** Delete oldest closed segments while a partition is larger than this, bytes; -1 = no limit. Default -1. */
  BROKER_RETENTION_BYTES: limitVar(-1, 'bytes >= -1'),
  /** Roll a new segment past this size, bytes. Default 64 MiB. */
  BROKER_SEGMENT_BYTES: positiveIntVar(64 * 1024 * 1024, 'a positive number of bytes'),
  /** Roll a new segment when the active one is this old, ms. Default 7 days. */
  BROKER_SEGMENT_MS: positiveIntVar(7 * DAY_MS, 'a positive number of milliseconds'),
  /** How often retention and compaction run, ms. Default 60 s. */
  BROKER_CLEANER_INTERVAL_MS: positiveIntVar(60_000, 'a positive number of milliseconds'),
  /**
   * When appended data is fsynced: `always` before every produce response, `interval` every
   * BROKER_FSYNC_INTERVAL_MS, `never` (left to the OS). Writes reach the file before the ack in
   * every mode, so acked data survives a broker crash; fsync adds power-loss safety. Default interval.
   */
  BROKER_FSYNC: z
    .enum(['always', 'interval', 'never'], { error: 'expected always, interval or never' })
    .default('interval'),
  /** fsync period for BROKER_FSYNC=interval, ms. Default 1000. */
  BROKER_FSYNC_INTERVAL_MS: positiveIntVar(1000, 'a positive number of milliseconds'),
  /** Largest request frame accepted, bytes; bigger frames close the connection. Default 100 MiB. */
  BROKER_MAX_REQUEST_BYTES: positiveIntVar(100 * 1024 * 1024, 'a positive number of bytes'),
  /** Largest record batch accepted (topic max.message.bytes default), bytes. Default 1 MiB + 12. */
  BROKER_MAX_MESSAGE_BYTES: positiveIntVar(1_048_588, 'a positive number of bytes'),
  /** Close connections idle this long, ms. Default 10 min (Kafka connections.max.idle.ms). */
  BROKER_IDLE_TIMEOUT_MS: positiveIntVar(600_000, 'a positive number of milliseconds'),
  /** Close a connection that started a frame and sent nothing more for this long, ms. Default 30 s. */
  BROKER_FRAME_TIMEOUT_MS: positiveIntVar(30_000, 'a positive number of milliseconds'),
  /** Smallest consumer session timeout accepted, ms. Default 6000 (Kafka's). */
  BROKER_GROUP_MIN_SESSION_TIMEOUT_MS: positiveIntVar(6000, 'a positive number of milliseconds'),
  /** Largest consumer session timeout accepted, ms. Default 30 min (Kafka's). */
  BROKER_GROUP_MAX_SESSION_TIMEOUT_MS: positiveIntVar(1_800_000, 'a positive number of milliseconds'),
  /** Wait for more members before the first rebalance of an empty group, ms. Default 0. */
  BROKER_GROUP_INITIAL_REBALANCE_DELAY_MS: z.coerce
    .number({ error: 'expected milliseconds >= 0' })
    .int({ error: 'expected milliseconds >= 0' })
    .min(0, { error: 'expected milliseconds >= 0' })
    .default(0),
}

const schema = z.object(shape)

export type BrokerConfig = {
  host: string
  port: number
  /** null disables the HTTP endpoint (in-process tests). */
  httpPort: number | null
  advertisedHost: string
  dataDir: string
  logLevel: string
  defaultPartitions: number
  autoCreateTopics: boolean
  retentionMs: number
  retentionBytes: number
  segmentBytes: number
  segmentMs: number
  cleanerIntervalMs: number
  fsync: 'always' | 'interval' | 'never'
  fsyncIntervalMs: number
  maxRequestBytes: number
  maxMessageBytes: number
  idleTimeoutMs: number
  frameTimeoutMs: number
  groupMinSessionTimeoutMs: number
  groupMaxSessionTimeoutMs: number
  groupInitialRebalanceDelayMs: number
}

/** Parses the broker's environment; every problem is reported at once. The log lives under `<TOKENLINE_DATA_DIR>/broker`. */
export function loadConfig(env: Env): BrokerConfig {
  const e = parseEnv(schema, env)
  const advertised =
    e.BROKER_ADVERTISED_HOST ??
    (e.TOKENLINE_BIND_HOST === '0.0.0.0' || e.TOKENLINE_BIND_HOST === '::'
      ? '127.0.0.1'
      : e.TOKENLINE_BIND_HOST)
  return {
    host: e.TOKENLINE_BIND_HOST,
    port: e.BROKER_PORT,
    httpPort: e.BROKER_HTTP_PORT,
    advertisedHost: advertised,
    dataDir: `${e.TOKENLINE_DATA_DIR.replace(/\/+$/, '')}/broker`,
    logLevel: e.LOG_LEVEL,
    defaultPartitions: e.BROKER_DEFAULT_PARTITIONS,
    autoCreateTopics: e.BROKER_AUTO_CREATE_TOPICS,
    retentionMs: e.BROKER_RETENTION_MS,
    retentionBytes: e.BROKER_RETENTION_BYTES,
    segmentBytes: e.BROKER_SEGMENT_BYTES,
    segmentMs: e.BROKER_SEGMENT_MS,
    cleanerIntervalMs: e.BROKER_CLEANER_INTERVAL_MS,
    fsync: e.BROKER_FSYNC,
    fsyncIntervalMs: e.BROKER_FSYNC_INTERVAL_MS,
    maxRequestBytes: e.BROKER_MAX_REQUEST_BYTES,
    maxMessageBytes: e.BROKER_MAX_MESSAGE_BYTES,
    idleTimeoutMs: e.BROKER_IDLE_TIMEOUT_MS,
    frameTimeoutMs: e.BROKER_FRAME_TIMEOUT_MS,
    groupMinSessionTimeoutMs: e.BROKER_GROUP_MIN_SESSION_TIMEOUT_MS,
    groupMaxSessionTimeoutMs: e.BROKER_GROUP_MAX_SESSION_TIMEOUT_MS,
    groupInitialRebalanceDelayMs: e.BROKER_GROUP_INITIAL_REBALANCE_DELAY_MS,
  }
}
