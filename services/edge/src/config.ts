import { z } from 'zod'
import {
  commonEnvShape,
  type Env,
  kafkaBrokersVar,
  nonNegativeIntVar,
  parseEnv,
  portVar,
  positiveIntVar,
} from '../../../lib/config/index.ts'
import { type InferencePoolEnv, inferencePoolEnvShape } from '../../../lib/inference/index.ts'

const entityId = /^[\x21-\x7e]{1,128}$/

/** `plant/line[,plant/line…]`: the lines this node serves. */
const linesVar = z
  .string()
  .default('demo-plant/demo-line')
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string())
      .min(1, { error: 'expected at least one plant/line' })
      .refine(
        (items) =>
          items.every(
            (i) =>
              i.split('/').length === 2 &&
              i.split('/').every((part) => entityId.test(part) && !part.includes('/')),
          ),
        {
          error:
            'expected plant/line pairs of printable ASCII without spaces, comma-separated (e.g. plant-1/press-3)',
        },
      ),
  )
  .transform((items) => items.map((i) => ({ plantId: i.split('/')[0]!, lineId: i.split('/')[1]! })))
  .refine((lines) => new Set(lines.map((l) => l.lineId)).size === lines.length, {
    error: 'expected each line once',
  })

const edgeEnv = z.object({
  ...commonEnvShape,
  ...inferencePoolEnvShape,
  EDGE_PORT: portVar(7070),
  EDGE_NODE_ID: z
    .string()
    .regex(entityId, { error: 'expected 1–128 printable ASCII characters without spaces' })
    .default('edge-1'),
  EDGE_LINES: linesVar,
  EDGE_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { error: 'expected a postgres:// or postgresql:// URL' })
    .optional(),
  KAFKA_BROKERS: kafkaBrokersVar,
  TOKENLINE_MODELS_DIR: z.string().default('./models'),
  EDGE_CONCURRENCY: positiveIntVar(4, 'a positive number of inspections'),
  EDGE_QUEUE_MAX: positiveIntVar(64, 'a positive number of images'),
  EDGE_MAX_BODY_BYTES: positiveIntVar(16 * 1024 * 1024, 'a positive integer number of bytes'),
  EDGE_MAX_PIXELS: positiveIntVar(50_000_000, 'a positive integer number of pixels'),
  EDGE_OUTBOX_MAX_ROWS: positiveIntVar(200_000, 'a positive number of records'),
  EDGE_OUTBOX_MAX_BYTES: positiveIntVar(2 * 1024 ** 3, 'a positive integer number of bytes'),
  EDGE_MIN_FREE_DISK_BYTES: nonNegativeIntVar(256 * 1024 ** 2, 'a whole number of bytes >= 0'),
  EDGE_IMAGE_RETENTION_MS: positiveIntVar(24 * 3600 * 1000, 'a positive number of milliseconds'),
  EDGE_WATCH_DIR: z.string().optional(),
  EDGE_WATCH_INTERVAL_MS: positiveIntVar(500, 'a positive number of milliseconds'),
  EDGE_DEMO_RATE: z.coerce
    .number({ error: 'expected images per second >= 0 (0 = off)' })
    .min(0, { error: 'expected images per second >= 0 (0 = off)' })
    .max(1000, { error: 'expected at most 1000 images per second' })
    .default(0),
  EDGE_DEMO_LINE: z.string().optional(),
  EDGE_RELAY_BATCH: positiveIntVar(500, 'a positive number of records'),
  EDGE_RELAY_INTERVAL_MS: positiveIntVar(100, 'a positive number of milliseconds'),
  EDGE_RELAY_MAX_BACKOFF_MS: positiveIntVar(5000, 'a positive number of milliseconds'),
  EDGE_RELAY_MAX_SEND_BYTES: positiveIntVar(512 * 1024, 'a positive integer number of bytes'),
})

export type ServedLine = { plantId: string; lineId: string }

export type EdgeConfig = {
  host: string
  /** HTTP port for the ingest API, /healthz, /readyz, /metrics; default 7070 (EDGE_PORT). */
  port: number
  logLevel: z.output<typeof commonEnvShape.LOG_LEVEL>
  /** This node's id, unique per plant; names its database folder and consumer groups. Default edge-1. */
  nodeId: string
  /** Lines served (EDGE_LINES `plant/line,…`); default demo-plant/demo-line. */
  lines: ServedLine[]
  /** Root of local state; this node keeps `<dataDir>/edge-<nodeId>/` (database, images, last policies). */
  dataDir: string
  /** PostgreSQL for this node's outbox and inspections; absent = embedded PGlite under the node's folder. */
  databaseUrl: string | undefined
  /** Kafka bootstrap servers; default the embedded broker at 127.0.0.1:9092. */
  kafkaBrokers: string[]
  /** Folder with `<model>/manifest.json` (+ model.onnx for edge models); default ./models. */
  modelsDir: string
  /** Inspections decided at once (decode + inference); default 4. */
  concurrency: number
  /** Images waiting beyond `concurrency` before ingest answers 429; default 64. */
  queueMax: number
  /** Largest accepted image body, bytes; default 16 MiB. */
  maxBodyBytes: number
  /** Largest accepted width × height, px; default 50,000,000. */
  maxPixels: number
  /** Unsent outbox records before ingest answers EDGE_OUTBOX_FULL; default 200,000. */
  outboxMaxRows: number
  /** Unsent outbox bytes before EDGE_OUTBOX_FULL; default 2 GiB. */
  outboxMaxBytes: number
  /** Free bytes the data directory's disk must keep, else EDGE_DISK_FULL; default 256 MiB; 0 = no check. */
  minFreeDiskBytes: number
  /** Kept images (escalated and held cases) are deleted after this long, ms; default 24 h. */
  imageRetentionMs: number
  /** Watched folder root: `<dir>/<lineId>/` per line, results in `done/` and `failed/`; absent = off. */
  watchDir: string | undefined
  watchIntervalMs: number
  /** Demo camera rate, images per second; 0 = off (default; `npm start` sets 2). */
  demoRate: number
  /** Line the demo camera feeds; default the first served line. */
  demoLine: string
  /** Outbox records per Kafka send; default 500. */
  relayBatch: number
  /** How often the relay looks for new records when idle, ms; default 100. */
  relayIntervalMs: number
  /** Longest wait between retries of a failed send, ms; default 5000. */
  relayMaxBackoffMs: number
  /** Most record bytes per Kafka send (under the broker's max.message.bytes); default 512 KiB. */
  relayMaxSendBytes: number
  inference: InferencePoolEnv
}

/** Parses the edge's environment; every problem is reported at once (ConfigError). */
export function loadConfig(env: Env): EdgeConfig {
  const p = parseEnv(edgeEnv, env)
  const demoLine = p.EDGE_DEMO_LINE ?? p.EDGE_LINES[0]!.lineId
  if (!p.EDGE_LINES.some((l) => l.lineId === demoLine)) {
    parseEnv(
      z.object({
        EDGE_DEMO_LINE: z.string().refine(() => false, {
          error: `expected one of the served lines ${p.EDGE_LINES.map((l) => l.lineId).join(', ')}`,
        }),
      }),
      env,
    )
  }
  const { LOG_LEVEL, TOKENLINE_BIND_HOST, TOKENLINE_DATA_DIR, ...rest } = p
  return {
    host: TOKENLINE_BIND_HOST,
    port: rest.EDGE_PORT,
    logLevel: LOG_LEVEL,
    nodeId: rest.EDGE_NODE_ID,
    lines: rest.EDGE_LINES,
    dataDir: TOKENLINE_DATA_DIR,
    databaseUrl: rest.EDGE_DATABASE_URL,
    kafkaBrokers: rest.KAFKA_BROKERS ?? ['127.0.0.1:9092'],
    modelsDir: rest.TOKENLINE_MODELS_DIR,
    concurrency: rest.EDGE_CONCURRENCY,
    queueMax: rest.EDGE_QUEUE_MAX,
    maxBodyBytes: rest.EDGE_MAX_BODY_BYTES,
    maxPixels: rest.EDGE_MAX_PIXELS,
    outboxMaxRows: rest.EDGE_OUTBOX_MAX_ROWS,
    outboxMaxBytes: rest.EDGE_OUTBOX_MAX_BYTES,
    minFreeDiskBytes: rest.EDGE_MIN_FREE_DISK_BYTES,
    imageRetentionMs: rest.EDGE_IMAGE_RETENTION_MS,
    watchDir: rest.EDGE_WATCH_DIR,
    watchIntervalMs: rest.EDGE_WATCH_INTERVAL_MS,
    demoRate: rest.EDGE_DEMO_RATE,
    demoLine,
    relayBatch: rest.EDGE_RELAY_BATCH,
    relayIntervalMs: rest.EDGE_RELAY_INTERVAL_MS,
    relayMaxBackoffMs: rest.EDGE_RELAY_MAX_BACKOFF_MS,
    relayMaxSendBytes: rest.EDGE_RELAY_MAX_SEND_BYTES,
    inference: Object.fromEntries(
      Object.keys(inferencePoolEnvShape).map((k) => [k, rest[k as keyof typeof rest]]),
    ) as InferencePoolEnv,
  }
}
