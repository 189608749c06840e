import { type Logger, pino } from 'pino'

export type { Logger } from 'pino'

/** One structured JSON line per event; `service` names the process, child loggers add context. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({ name: service, level, base: { service } })
}
