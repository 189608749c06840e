import { z } from 'zod'
import {
  booleanVar,
  commonEnvShape,
  databaseUrlVar,
  type Env,
  kafkaBrokersVar,
  nonNegativeIntVar,
  parseEnv,
  portVar,
  positiveIntVar,
} from '../../../lib/config/index.ts'

const gatewayEnv = z.object({
  ...commonEnvShape,
  GATEWAY_PORT: portVar(4000),
  DATABASE_URL: databaseUrlVar,
  KAFKA_BROKERS: kafkaBrokersVar,
  TOKENLINE_MODELS_DIR: z.string().default('./models'),
  GATEWAY_MAX_REQUEST_BYTES: positiveIntVar(65_536, 'a positive integer number of bytes'),
  GATEWAY_MAX_PAGE_SIZE: positiveIntVar(100, 'a positive integer number of items').pipe(
    z.number().max(1000, { error: 'expected at most 1000 items' }),
  ),
  DATABASE_CONNECT_ATTEMPTS: positiveIntVar(10, 'a positive integer number of attempts'),
  GATEWAY_REPLAY_MAX_MS: positiveIntVar(10_000, 'a positive integer number of milliseconds'),
  GATEWAY_DEMO: booleanVar(false),
  GATEWAY_ADMIN_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{24,200}$/, { error: 'expected 24–200 characters of A–Z, a–z, 0–9, _ or -' })
    .optional(),
  GATEWAY_RATE_LIMIT_PER_SECOND: z.coerce
    .number({ error: 'expected a number of requests per second >= 0 (0 = no limit)' })
    .min(0, { error: 'expected a number of requests per second >= 0 (0 = no limit)' })
    .default(50),
  GATEWAY_RATE_LIMIT_BURST: positiveIntVar(100, 'a positive integer number of requests'),
  GATEWAY_MAX_SUBMIT_BYTES: positiveIntVar(4 * 1024 * 1024, 'a positive integer number of bytes'),
  GATEWAY_EDGE_URL: z
    .string()
    .regex(/^https?:\/\/[^\s/]+/, { error: 'expected an http:// or https:// URL of an edge node' })
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
  GATEWAY_EDGE_TIMEOUT_MS: positiveIntVar(30_000, 'a positive integer number of milliseconds'),
  GATEWAY_SESSION_TIMEOUT_MS: positiveIntVar(10_000, 'a positive integer number of milliseconds').pipe(
    z.number().min(1000, { error: 'expected at least 1000 ms' }),
  ),
  GATEWAY_MAX_DEPTH: positiveIntVar(10, 'a positive integer number of nested fields'),
  GATEWAY_MAX_ALIASES: positiveIntVar(30, 'a positive integer number of aliases'),
  GATEWAY_MAX_COMPLEXITY: positiveIntVar(20_000, 'a positive integer cost'),
  GATEWAY_REQUEST_TIMEOUT_MS: positiveIntVar(5000, 'a positive integer number of milliseconds'),
  GATEWAY_INTROSPECTION: booleanVar(false),
  GATEWAY_RESPONSE_CACHE_MS: nonNegativeIntVar(
    1000,
    'a whole number of milliseconds >= 0 (0 = no response cache)',
  ).pipe(z.number().max(60_000, { error: 'expected at most 60000 ms: a longer cache shows stale results' })),
})

export type GatewayConfig = {
  /** Interface to bind; default 127.0.0.1 (TOKENLINE_BIND_HOST) until access control exists. */
  host: string
  /** HTTP port for /graphql, /healthz, /readyz, /metrics; default 4000 (GATEWAY_PORT); 0 = any free port. */
  port: number
  logLevel: z.output<typeof commonEnvShape.LOG_LEVEL>
  /** Root of local state; the embedded database lives in `<dataDir>/pglite`; default ./data. */
  dataDir: string
  /** PostgreSQL URL; absent = embedded PGlite under dataDir. */
  databaseUrl: string | undefined
  /** Kafka bootstrap brokers; when set, every line's current policy is published on `tokenline.policies.v2` at start. */
  kafkaBrokers: string[] | undefined
  /** Folder scanned at start for `<model>/manifest.json` and `<model>/scaling*.json`; default ./models. */
  modelsDir: string
  /** Largest accepted GraphQL request (POST body or GET query string), bytes; default 65536. */
  maxRequestBytes: number
  /** Largest `first` accepted by paginated fields; default 100, at most 1000. */
  maxPageSize: number
  /** PostgreSQL connection attempts with exponential backoff before giving up; default 10 (≈ 25 s). */
  databaseConnectAttempts: number
  /** Computation time one policy frontier / recommendation may take before REPLAY_TOO_LARGE, ms; default 10000. */
  replayMaxMs: number
  /** First start of an empty database creates the demo plant, line and policy (`npm start` sets it); default false. */
  demo: boolean
  /**
   * An all-plants admin key to make sure exists (GATEWAY_ADMIN_KEY; deployments and tests). Without
   * it, a first start with no keys creates one and writes it to `<dataDir>/gateway-admin.key` (0600).
   */
  adminKey: string | undefined
  /** Requests per second each API key may make (token bucket refill); 0 = no limit; default 50. */
  rateLimitPerSecond: number
  /** Requests a key may make at once before the rate applies (bucket size); default 100. */
  rateLimitBurst: number
  /** Largest image submitInspection accepts, decoded bytes; default 4 MiB (the request must also fit GATEWAY_MAX_REQUEST_BYTES). */
  maxSubmitBytes: number
  /** Edge node for lines without their own edgeUrl (GATEWAY_EDGE_URL, no trailing slash); `npm start` sets the local edge. */
  edgeUrl: string | undefined
  /** How long submitInspection waits for the edge's answer (ms); default 30000. */
  edgeTimeoutMs: number
  /**
   * Session timeout of the ingest's consumer groups (GATEWAY_SESSION_TIMEOUT_MS), ms; default
   * 10000. A gateway killed -9 holds its partitions this long, so a restarted one resumes ingest
   * after it. kafkajs heartbeats only between batches and between retries (every tenth of this,
   * at most 3 s), so a batch should finish well inside it: one transaction of at most 64 records
   * (milliseconds), whose pool wait gives up after 5 s and whose statements PostgreSQL cancels
   * after GATEWAY_REQUEST_TIMEOUT_MS (5 s) each; on PGlite the measured event-loop stalls are
   * under 0.4 s. A batch that outlasts it costs a rebalance and a redelivery (stores are
   * idempotent), never a record.
   */
  sessionTimeoutMs: number
  /** Deepest field nesting an operation may have (introspection fields not counted); default 10. */
  maxDepth: number
  /** Most aliased fields one request may hold; default 30. */
  maxAliases: number
  /** Highest estimated cost of an operation (one per field, times the page size or 10 for lists); default 20000. */
  maxComplexity: number
  /**
   * A request still running after this long (ms) is answered REQUEST_TIMEOUT and its remaining
   * resolvers stop; also PostgreSQL's statement_timeout on the gateway's pool; default 5000.
   */
  requestTimeoutMs: number
  /** Schema introspection and "Did you mean …" suggestions in errors; default false (`true` under `npm start`). */
  introspection: boolean
  /**
   * How long an answer to the dashboard's polled reads (lineStats, inspections, models, scaling
   * reports, frontier, recommendation) is served again to keys of the same role and plants (ms);
   * 0 = off; default 1000. Mutations through this gateway empty it; results from Kafka show at most
   * this much later.
   */
  responseCacheMs: number
}

/** Parses the gateway's environment; every problem is reported at once (ConfigError). */
export function loadConfig(env: Env): GatewayConfig {
  const parsed = parseEnv(gatewayEnv, env)
  return {
    host: parsed.TOKENLINE_BIND_HOST,
    port: parsed.GATEWAY_PORT,
    logLevel: parsed.LOG_LEVEL,
    dataDir: parsed.TOKENLINE_DATA_DIR,
    databaseUrl: parsed.DATABASE_URL,
    kafkaBrokers: parsed.KAFKA_BROKERS,
    modelsDir: parsed.TOKENLINE_MODELS_DIR,
    maxRequestBytes: parsed.GATEWAY_MAX_REQUEST_BYTES,
    maxPageSize: parsed.GATEWAY_MAX_PAGE_SIZE,
    databaseConnectAttempts: parsed.DATABASE_CONNECT_ATTEMPTS,
    replayMaxMs: parsed.GATEWAY_REPLAY_MAX_MS,
    demo: parsed.GATEWAY_DEMO,
    adminKey: parsed.GATEWAY_ADMIN_KEY,
    rateLimitPerSecond: parsed.GATEWAY_RATE_LIMIT_PER_SECOND,
    rateLimitBurst: parsed.GATEWAY_RATE_LIMIT_BURST,
    maxSubmitBytes: parsed.GATEWAY_MAX_SUBMIT_BYTES,
    edgeUrl: parsed.GATEWAY_EDGE_URL,
    edgeTimeoutMs: parsed.GATEWAY_EDGE_TIMEOUT_MS,
    sessionTimeoutMs: parsed.GATEWAY_SESSION_TIMEOUT_MS,
    maxDepth: parsed.GATEWAY_MAX_DEPTH,
    maxAliases: parsed.GATEWAY_MAX_ALIASES,
    maxComplexity: parsed.GATEWAY_MAX_COMPLEXITY,
    requestTimeoutMs: parsed.GATEWAY_REQUEST_TIMEOUT_MS,
    introspection: parsed.GATEWAY_INTROSPECTION,
    responseCacheMs: parsed.GATEWAY_RESPONSE_CACHE_MS,
  }
}
