import { Kafka, type LogEntry, logLevel } from 'kafkajs'
import type { Logger } from '../log/index.ts'
import { type RetryOptions, withRetry } from '../retry/index.ts'
import { MessagingError } from './errors.ts'

export type KafkaOptions = {
  /** `host:port` seed brokers (from KAFKA_BROKERS, or the embedded broker's address). */
  brokers: string[]
  /** Names this process in broker logs and metrics, e.g. `tokenline-edge`. */
  clientId: string
  /** kafkajs' own log lines are written here as `{ kafkajs: namespace, … }`. */
  logger: Logger
  /** TCP connect timeout per attempt (ms); default 3000. */
  connectionTimeoutMs?: number
  /** Per-request timeout (ms); default 30000. */
  requestTimeoutMs?: number
}

/**
 * A kafkajs client whose logs go to pino at the logger's level. kafkajs' own request retries
 * stay on (5 retries from 300 ms); `connectWithRetry` adds the slower outer loop for a broker
 * that comes up late.
 */
export function createKafka(options: KafkaOptions): Kafka {
  if (options.brokers.length === 0) {
    throw new MessagingError(
      'MESSAGING_OPTIONS_INVALID',
      'brokers: expected at least one host:port but received none',
    )
  }
  const log = options.logger.child({ kafkajs: true })
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: { retries: 5, initialRetryTime: 300 },
    logLevel: kafkaLogLevel(options.logger.level),
    logCreator: () => (entry: LogEntry) => writeEntry(log, entry),
  })
}

function kafkaLogLevel(level: string): logLevel {
  switch (level) {
    case 'trace':
    case 'debug':
      return logLevel.DEBUG
    case 'info':
      return logLevel.INFO
    case 'warn':
      return logLevel.WARN
    case 'error':
    case 'fatal':
      return logLevel.ERROR
    default:
      return logLevel.NOTHING
  }
}

function writeEntry(log: Logger, { namespace, level, log: line }: LogEntry): void {
  const { message, timestamp: _timestamp, logger: _logger, ...fields } = line
  const record = { namespace, ...fields }
  switch (level) {
    case logLevel.ERROR:
      log.error(record, message)
      break
    case logLevel.WARN:
      log.warn(record, message)
      break
    case logLevel.INFO:
      log.info(record, message)
      break
    default:
      log.debug(record, message)
  }
}

export type ConnectRetryOptions = Pick<RetryOptions, 'attempts' | 'initialDelayMs' | 'maxDelayMs'>

/**
 * Runs a kafkajs `connect()` until it succeeds, with exponential backoff (default 8 attempts
 * from 500 ms, capped at 5 s: about half a minute in all, on top of kafkajs' own retries).
 * Throws `MESSAGING_BROKER_UNREACHABLE` (retriable) naming the brokers when it never does.
 */
export async function connectWithRetry(
  what: string,
  connect: () => Promise<void>,
  context: { brokers: string[]; logger: Logger; retry?: ConnectRetryOptions },
): Promise<void> {
  try {
    await withRetry(connect, {
      attempts: context.retry?.attempts ?? 8,
      initialDelayMs: context.retry?.initialDelayMs ?? 500,
      maxDelayMs: context.retry?.maxDelayMs ?? 5000,
      onRetry: (err, attempt, delayMs) =>
        context.logger.warn(
          { brokers: context.brokers, attempt, delayMs, err: (err as Error).message },
          `${what}: broker not reachable yet, retrying`,
        ),
    })
  } catch (err) {
    throw new MessagingError(
      'MESSAGING_BROKER_UNREACHABLE',
      `${what}: no Kafka broker answered at ${context.brokers.join(',')} (${(err as Error).message}); check KAFKA_BROKERS or start the broker`,
      true,
      { cause: err },
    )
  }
}
