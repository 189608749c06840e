import { z } from 'zod'
import {
  commonEnvShape,
  databaseUrlVar,
  type Env,
  kafkaBrokersVar,
  parseEnv,
  portVar,
  positiveIntVar,
} from '../../lib/config/index.ts'

/**
 * What `npm start` reads. Ports are the same variables the services read, passed down to them;
 * 0 means "pick a free port" (start reserves one and hands it to the service).
 */
export const startEnv = z.object({
  ...commonEnvShape,
  /** Set: use that Kafka and do not run the embedded broker. */
  KAFKA_BROKERS: kafkaBrokersVar,
  /** Set: the gateway uses that PostgreSQL instead of embedded PGlite. */
  DATABASE_URL: databaseUrlVar,
  BROKER_PORT: portVar(9092),
  BROKER_HTTP_PORT: portVar(9093),
  GATEWAY_PORT: portVar(4000),
  EDGE_PORT: portVar(7070),
  CLOUD_PORT: portVar(7080),
  /** How long one service may take to answer /readyz (ms). */
  START_READY_TIMEOUT_MS: positiveIntVar(60_000, 'a positive number of milliseconds'),
  /** How long one service may take to exit after SIGTERM before it is killed (ms). */
  START_STOP_TIMEOUT_MS: positiveIntVar(20_000, 'a positive number of milliseconds'),
})

export type StartConfig = z.output<typeof startEnv>

export function loadStartConfig(env: Env): StartConfig {
  return parseEnv(startEnv, env)
}
