import { z } from 'zod'
import {
  booleanVar,
  commonEnvShape,
  databaseUrlVar,
  type Env,
  kafkaBrokersVar,
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
  }
}
