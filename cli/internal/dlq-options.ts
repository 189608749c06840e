import { type ParseArgsConfig, parseArgs } from 'node:util'
import { z } from 'zod'
import { ConfigError, type Env, kafkaBrokersVar, logLevelVar, parseEnv } from '../../lib/config/index.ts'

export const dlqUsage = `usage:
  npm run dlq -- list [--topic <original topic>] [--code <error code>] [--since <ISO time>] [--limit n] [--json]
  npm run dlq -- show <partition>:<offset>
  npm run dlq -- redrive <partition>:<offset>... [--dry-run]
  npm run dlq -- redrive --code <error code> [--topic <original topic>] [--dry-run]

Reads tokenline.dlq.v1 from its start to the high-water mark seen when the command starts (it
does not wait for new dead letters) through a throwaway consumer group that commits nothing.
Brokers: KAFKA_BROKERS (default 127.0.0.1:9092, the embedded broker).

list     one line per dead letter: DLQ partition:offset, when it was dead-lettered, original
         topic/partition@offset, consumer group, error code, retriable, payload bytes, reason;
         --json prints one JSON object per line instead. Filters combine (all must match);
         --limit stops after n matches, oldest first.
show     the whole envelope as JSON, the original payload decoded when it is JSON (a framed
         payload: its JSON header and a bounded base64 preview of its body; other bytes: a
         bounded hex and base64 preview).
redrive  republishes each record's original payload to its original topic: the key byte for
         byte, the value byte for byte, and the headers as the envelope keeps them (text, the
         last value of a repeated header), plus tokenline-redriven-from (the DLQ position),
         tokenline-redriven-at and tokenline-redrive-count, so a record that fails again shows
         up in the DLQ marked as redriven. The partition follows the key as the services'
         producers place it; the original timestamp is not kept (the broker stamps a new one).
         Refused, with nothing sent: records of tokenline.policies.v2 / v1 (compacted: an old
         version would replace the line's current policy; use the gateway's updatePolicy or
         rollbackPolicy), of a topic that is not a platform topic, of the DLQ itself, tombstones
         (null value), and records that are not dead-letter envelopes. --dry-run prints what
         would be sent and sends nothing.

Exit status: 0 done, 1 refused, unknown offset, broker error or no dead-letter topic on those
brokers, 2 bad arguments or a malformed KAFKA_BROKERS.`

/** A record of the dead-letter topic. */
export type DlqPosition = { partition: number; offset: bigint }

/** Dead letters to keep; every field given must match. */
export type DlqFilter = {
  /** Original topic, exact. */
  topic?: string
  /** Error code, exact (e.g. MESSAGING_MESSAGE_INVALID). */
  code?: string
  /** Dead-lettered at or after this instant. */
  since?: Date
}

export type DlqCommand =
  | { command: 'help' }
  | { command: 'list'; filter: DlqFilter; limit: number | undefined; json: boolean }
  | { command: 'show'; at: DlqPosition }
  | {
      command: 'redrive'
      /** Explicit positions, or a filter with a code: exactly one of the two. */
      select: { at: DlqPosition[] } | { filter: DlqFilter & { code: string } }
      dryRun: boolean
    }

export function formatPosition(at: { partition: number; offset: bigint | string }): string {
  return `${at.partition}:${at.offset}`
}

function parsePosition(raw: string, problems: string[]): DlqPosition | undefined {
  const m = /^(\d{1,9}):(\d{1,19})$/.exec(raw)
  if (!m) {
    problems.push(
      `expected <partition>:<offset> (two whole numbers, e.g. 0:42) but received ${JSON.stringify(raw)}`,
    )
    return undefined
  }
  return { partition: Number(m[1]), offset: BigInt(m[2]!) }
}

const commandFlags: Record<'list' | 'show' | 'redrive', NonNullable<ParseArgsConfig['options']>> = {
  list: {
    topic: { type: 'string' },
    code: { type: 'string' },
    since: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  show: {},
  redrive: {
    topic: { type: 'string' },
    code: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
}

/**
 * `npm run dlq` arguments → a command; every problem at once.
 * @throws ConfigError for an unknown command or flag, a missing or malformed value
 */
export function loadDlqCommand(argv: readonly string[]): DlqCommand {
  const args = argv.filter((a) => a !== '--')
  const [name, ...rest] = args
  if (name === 'help' || name === '--help' || name === '-h') return { command: 'help' }
  if (name !== 'list' && name !== 'show' && name !== 'redrive')
    throw new ConfigError([
      `expected a command (list, show or redrive) but received ${name === undefined ? 'nothing' : JSON.stringify(name)}\n${dlqUsage}`,
    ])
  if (rest.includes('--help') || rest.includes('-h')) return { command: 'help' }
  let values: Record<string, string | boolean | undefined>
  let positionals: string[]
  try {
    const parsed = parseArgs({
      args: rest,
      options: commandFlags[name],
      strict: true,
      allowPositionals: name !== 'list',
    })
    values = parsed.values as Record<string, string | boolean | undefined>
    positionals = parsed.positionals
  } catch (err) {
    throw new ConfigError([`${name}: ${(err as Error).message}\n${dlqUsage}`])
  }
  const problems: string[] = []
  const str = (k: string) => values[k] as string | undefined
  const nonEmpty = (flag: string) => {
    const v = str(flag)
    if (v !== undefined && v.trim() === '') problems.push(`expected a value for --${flag} but received ""`)
    return v
  }
  const filter: DlqFilter = {}
  const topic = nonEmpty('topic')
  if (topic !== undefined) filter.topic = topic
  const code = nonEmpty('code')
  if (code !== undefined) filter.code = code
  switch (name) {
    case 'list': {
      const since = str('since')
      if (since !== undefined) {
        const t = Date.parse(since)
        if (!/^\d{4}-\d{2}-\d{2}/.test(since) || Number.isNaN(t))
          problems.push(
            `expected an ISO time (e.g. 2026-12-03T12:00:00Z) for --since but received ${JSON.stringify(since)}`,
          )
        else filter.since = new Date(t)
      }
      const rawLimit = str('limit')
      let limit: number | undefined
      if (rawLimit !== undefined) {
        limit = /^\d+$/.test(rawLimit) ? Number(rawLimit) : Number.NaN
        if (!(limit > 0))
          problems.push(
            `expected a positive whole number for --limit but received ${JSON.stringify(rawLimit)}`,
          )
      }
      if (problems.length > 0) throw new ConfigError(problems)
      return { command: 'list', filter, limit, json: values.json === true }
    }
    case 'show': {
      if (positionals.length !== 1)
        problems.push(`show: expected one <partition>:<offset> but received ${positionals.length}`)
      const at = positionals.length === 1 ? parsePosition(positionals[0]!, problems) : undefined
      if (problems.length > 0 || at === undefined) throw new ConfigError(problems)
      return { command: 'show', at }
    }
    case 'redrive': {
      const at = positionals.map((p) => parsePosition(p, problems))
      const dryRun = values['dry-run'] === true
      if (positionals.length > 0 && (code !== undefined || topic !== undefined))
        problems.push('redrive: expected either <partition>:<offset>... or --code [--topic], not both')
      else if (positionals.length === 0 && code === undefined)
        problems.push(
          topic === undefined
            ? 'redrive: expected <partition>:<offset>... or --code <error code> but received neither'
            : 'redrive: --topic selects only together with --code <error code>',
        )
      if (problems.length > 0) throw new ConfigError(problems)
      return positionals.length > 0
        ? { command: 'redrive', select: { at: at as DlqPosition[] }, dryRun }
        : { command: 'redrive', select: { filter: { ...filter, code: code! } }, dryRun }
    }
  }
}

const dlqEnv = z.object({
  LOG_LEVEL: logLevelVar.unwrap().optional(),
  KAFKA_BROKERS: kafkaBrokersVar,
})

export type DlqConfig = {
  /** Seed brokers; KAFKA_BROKERS, else the embedded broker's default address. */
  brokers: string[]
  /** pino level of the log lines written to stderr; default warn, so stdout holds only the answer. */
  logLevel: string
}

/** The services' broker variable (KAFKA_BROKERS) and LOG_LEVEL; every problem at once. */
export function loadDlqConfig(env: Env): DlqConfig {
  const parsed = parseEnv(dlqEnv, env)
  return { brokers: parsed.KAFKA_BROKERS ?? ['127.0.0.1:9092'], logLevel: parsed.LOG_LEVEL ?? 'warn' }
}
