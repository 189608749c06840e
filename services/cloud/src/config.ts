import { hostname } from 'node:os'
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
import {
  type ExecutionProvider,
  executionProvidersVar,
  inferencePoolEnvShape,
} from '../../../lib/inference/index.ts'

const cloudEnv = z.object({
  ...commonEnvShape,
  CLOUD_PORT: portVar(7080),
  KAFKA_BROKERS: kafkaBrokersVar,
  TOKENLINE_MODELS_DIR: z.string().default('./models'),
  CLOUD_MODELS: z
    .string()
    .default('cloud-vit-m')
    .transform((s) =>
      s
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string()).min(1, { error: 'expected a comma-separated list of model names or folders' })),
  CLOUD_GROUP_ID: z.string().min(1).default('tokenline-cloud'),
  CLOUD_INSTANCE_ID: z
    .string()
    .regex(/^[\w.-]{1,100}$/, { error: 'expected 1–100 letters, digits, . _ -' })
    .optional(),
  CLOUD_MAX_BATCH: positiveIntVar(16, 'a positive batch size in images'),
  CLOUD_MAX_DELAY_MS: nonNegativeIntVar(5, 'a whole number of milliseconds >= 0'),
  CLOUD_PARTITIONS_CONCURRENTLY: positiveIntVar(6, 'a positive number of partitions'),
  CLOUD_FETCH_MAX_WAIT_MS: positiveIntVar(100, 'a positive number of milliseconds'),
  CLOUD_SESSION_TIMEOUT_MS: positiveIntVar(10_000, 'a positive number of milliseconds').pipe(
    z.number().min(1000, { error: 'expected at least 1000 ms' }),
  ),
  CLOUD_DEFAULT_COST_PER_1K_TOKENS: z.coerce
    .number({ error: 'expected a price >= 0' })
    .min(0, { error: 'expected a price >= 0' })
    .default(0),
  CLOUD_DEDUP_MAX_ENTRIES: positiveIntVar(1_000_000, 'a positive number of inspection ids'),
  // 24 h: a duplicate escalation comes seconds after a crash between verdict and commit (the
  // partition moves after CLOUD_SESSION_TIMEOUT_MS), or hours later from an edge that crashed
  // between the broker's ack and marking the record sent and stayed cut off (its outbox holds
  // records for hours), or from a cloud tier that was down overnight. Longer costs start time
  // (every join reads this much of the verdict log) and heap (about 100 bytes per id).
  CLOUD_DEDUP_WINDOW_MS: positiveIntVar(86_400_000, 'a positive number of milliseconds'),
  CLOUD_LEDGER_SYNC_TIMEOUT_MS: positiveIntVar(10_000, 'a positive number of milliseconds'),
  CLOUD_DRILL_COMMIT_DELAY_MS: nonNegativeIntVar(0, 'a whole number of milliseconds >= 0'),
  INFERENCE_WORKERS: inferencePoolEnvShape.INFERENCE_WORKERS,
  INFERENCE_INTRA_OP_THREADS: inferencePoolEnvShape.INFERENCE_INTRA_OP_THREADS,
  INFERENCE_MAX_QUEUED_IMAGES: inferencePoolEnvShape.INFERENCE_MAX_QUEUED_IMAGES,
  INFERENCE_EXECUTION_PROVIDERS: executionProvidersVar('cuda,cpu'),
})

export type CloudConfig = {
  host: string
  /** /healthz, /readyz, /metrics, /status; default 7080 (CLOUD_PORT); 0 = any free port. */
  port: number
  logLevel: z.output<typeof commonEnvShape.LOG_LEVEL>
  /** Kafka bootstrap brokers (KAFKA_BROKERS); default 127.0.0.1:9092, the embedded broker. */
  kafkaBrokers: string[]
  /** Where model names in `models` are looked up (TOKENLINE_MODELS_DIR); default ./models. */
  modelsDir: string
  /** Cloud models served, by manifest name or folder (CLOUD_MODELS); default cloud-vit-m. */
  models: string[]
  /** Consumer group on tokenline.escalations.v1 (CLOUD_GROUP_ID); instances in it share partitions. */
  groupId: string
  /** Names this process in verdicts, logs and its own group ids (CLOUD_INSTANCE_ID); default host-pid. */
  instanceId: string
  /** Most images in one model run, and most records handed to one batch call (CLOUD_MAX_BATCH); default 16. */
  maxBatch: number
  /** How long the first case of a batch waits for company, ms (CLOUD_MAX_DELAY_MS); default 5. */
  maxDelayMs: number
  /** Partitions handled at once by this instance, so their cases share model runs; default 6 (all of the escalation topic). */
  partitionsConcurrently: number
  /** Longest a fetch waits on the broker for new escalations, ms (CLOUD_FETCH_MAX_WAIT_MS); default 100 (latency: the next fetch waits for the batches in hand). */
  fetchMaxWaitMs: number
  /** Consumer-group session timeout, ms (CLOUD_SESSION_TIMEOUT_MS); a killed instance's partitions move after it. Default 10000. */
  sessionTimeoutMs: number
  /** Price per 1,000 vision tokens when no policy of the line has been seen; default 0. */
  defaultCostPer1kTokens: number
  /** Inspection ids remembered for duplicate suppression (oldest forgotten first); default 1,000,000. */
  dedupMaxEntries: number
  /**
   * Verdicts younger than this are read at start for duplicate suppression, and ids older than it
   * are forgotten by a running instance, ms; default 86400000 (24 h).
   */
  dedupWindowMs: number
  /** How long a case waits for the verdict log to be read to its end before it is retried, ms; default 10000. */
  ledgerSyncTimeoutMs: number
  /**
   * Fault drill (CLOUD_DRILL_COMMIT_DELAY_MS): hold each batch this long between the verdicts'
   * acknowledgement and the offset commit, widening the window a crash leaves answered cases
   * uncommitted. Default 0; for crash drills and tests, never for production.
   */
  drillCommitDelayMs: number
  pool: {
    workers: number
    intraOpNumThreads: number
    maxQueuedImages: number
    executionProviders: ExecutionProvider[]
  }
}

/**
 * Parses the cloud's environment; every problem is reported at once (ConfigError).
 * CLOUD_MAX_BATCH / CLOUD_MAX_DELAY_MS replace INFERENCE_MAX_BATCH / INFERENCE_MAX_DELAY_MS here:
 * the cloud's defaults come from bench/cloud.ts, not from the edge's.
 */
export function loadConfig(env: Env, defaults = { instanceId: `${hostname()}-${process.pid}` }): CloudConfig {
  const parsed = parseEnv(cloudEnv, env)
  return {
    host: parsed.TOKENLINE_BIND_HOST,
    port: parsed.CLOUD_PORT,
    logLevel: parsed.LOG_LEVEL,
    kafkaBrokers: parsed.KAFKA_BROKERS ?? ['127.0.0.1:9092'],
    modelsDir: parsed.TOKENLINE_MODELS_DIR,
    models: parsed.CLOUD_MODELS,
    groupId: parsed.CLOUD_GROUP_ID,
    instanceId: parsed.CLOUD_INSTANCE_ID ?? defaults.instanceId.replace(/[^\w.-]/g, '-').slice(0, 100),
    maxBatch: parsed.CLOUD_MAX_BATCH,
    maxDelayMs: parsed.CLOUD_MAX_DELAY_MS,
    partitionsConcurrently: parsed.CLOUD_PARTITIONS_CONCURRENTLY,
    fetchMaxWaitMs: parsed.CLOUD_FETCH_MAX_WAIT_MS,
    sessionTimeoutMs: parsed.CLOUD_SESSION_TIMEOUT_MS,
    defaultCostPer1kTokens: parsed.CLOUD_DEFAULT_COST_PER_1K_TOKENS,
    dedupMaxEntries: parsed.CLOUD_DEDUP_MAX_ENTRIES,
    dedupWindowMs: parsed.CLOUD_DEDUP_WINDOW_MS,
    ledgerSyncTimeoutMs: parsed.CLOUD_LEDGER_SYNC_TIMEOUT_MS,
    drillCommitDelayMs: parsed.CLOUD_DRILL_COMMIT_DELAY_MS,
    pool: {
      workers: parsed.INFERENCE_WORKERS,
      intraOpNumThreads: parsed.INFERENCE_INTRA_OP_THREADS,
      maxQueuedImages: parsed.INFERENCE_MAX_QUEUED_IMAGES,
      executionProviders: parsed.INFERENCE_EXECUTION_PROVIDERS,
    },
  }
}
