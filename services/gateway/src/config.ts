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
  GATEWAY_DEMO: booleanVar(false),
  GATEWAY_ADMIN_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{24,200}$/, { error: 'expected 24–200 characters of A–Z, a–z, 0–9, _ or -' })
    .optional(),
  GATEWAY_MAX_DEPTH: positiveIntVar(10, 'a positive integer number of nested fields'),
  GATEWAY_MAX_ALIASES: positiveIntVar(30, 'a positive integer number of aliases'),
  GATEWAY_MAX_COMPLEXITY: positiveIntVar(20_000, 'a positive integer cost'),
  GATEWAY_REQUEST_TIMEOUT_MS: positiveIntVar(5000, 'a positive integer number of milliseconds'),
  GATEWAY_INTROSPECTION: booleanVar(false),
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
  /** First start of an empty database creates the demo plant, line and policy (`npm start` sets it); default false. */
  demo: boolean
  /**
   * An all-plants admin key to make sure exists (GATEWAY_ADMIN_KEY; deployments and tests). Without
   * it, a first start with no keys creates one and writes it to `<dataDir>/gateway-admin.key` (0600).
   */
  adminKey: string | undefined
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
    demo: parsed.GATEWAY_DEMO,
    adminKey: parsed.GATEWAY_ADMIN_KEY,
    maxDepth: parsed.GATEWAY_MAX_DEPTH,
    maxAliases: parsed.GATEWAY_MAX_ALIASES,
    maxComplexity: parsed.GATEWAY_MAX_COMPLEXITY,
    requestTimeoutMs: parsed.GATEWAY_REQUEST_TIMEOUT_MS,
    introspection: parsed.GATEWAY_INTROSPECTION,
  }
}
