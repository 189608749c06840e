/**
 * npm run dlq -- list [--topic T] [--code C] [--since ISO] [--limit n] [--json]
 * npm run dlq -- show <partition>:<offset>
 * npm run dlq -- redrive <partition>:<offset>... | --code C [--topic T] [--dry-run]
 *
 * What is on the dead-letter topic (tokenline.dlq.v1), one record in full, and putting records
 * back on their original topic once the cause is fixed (see `dlqUsage` for what is kept and what
 * is refused). Brokers from KAFKA_BROKERS as the services read it. Exit 2 for bad arguments or a
 * malformed KAFKA_BROKERS, 1 for a refusal, an unknown offset, a broker error or a missing DLQ topic.
 */
import type { Kafka } from 'kafkajs'
import { pino } from 'pino'
import { ConfigError } from '../lib/config/index.ts'
import { isTokenlineError } from '../lib/errors/index.ts'
import type { Logger } from '../lib/log/index.ts'
import { createKafka, MessageProducer } from '../lib/messaging/index.ts'
import { DlqError } from './internal/dlq-errors.ts'
import { listHeader, listLine, matches, showDocument, summary } from './internal/dlq-format.ts'
import {
  type DlqCommand,
  type DlqConfig,
  type DlqPosition,
  dlqUsage,
  formatPosition,
  loadDlqCommand,
  loadDlqConfig,
} from './internal/dlq-options.ts'
import { type DlqRecord, dlqWatermarks, readDlq, type Watermarks } from './internal/dlq-reader.ts'
import { contractProblem, onePerOrigin, redriveOf, redriveRefusal } from './internal/dlq-redrive.ts'

type Context = { kafka: Kafka; config: DlqConfig; logger: Logger }

const out = (line: string) => process.stdout.write(`${line}\n`)
const note = (line: string) => process.stderr.write(`dlq: ${line}\n`)
const clip = (text: string, chars: number) => (text.length > chars ? `${text.slice(0, chars - 1)}…` : text)

async function main(): Promise<void> {
  const command = loadDlqCommand(process.argv.slice(2))
  if (command.command === 'help') {
    out(dlqUsage)
    return
  }
  const config = loadDlqConfig(process.env)
  // Logs go to stderr so stdout holds only the answer (pipes into jq, grep).
  const logger = pino({ name: 'dlq', level: config.logLevel, base: { service: 'dlq' } }, pino.destination(2))
  const kafka = createKafka({ brokers: config.brokers, clientId: 'tokenline-dlq', logger })
  await run(command, { kafka, config, logger })
}

async function run(command: Exclude<DlqCommand, { command: 'help' }>, ctx: Context): Promise<void> {
  const marks = await dlqWatermarks(ctx.kafka, ctx.config.brokers, ctx.logger)
  switch (command.command) {
    case 'list':
      return list(command, marks, ctx)
    case 'show': {
      const [record] = await fetchAt([command.at], marks, ctx)
      out(JSON.stringify(showDocument(record!), null, 2))
      return
    }
    case 'redrive':
      return redrive(command, marks, ctx)
    default: {
      const never: never = command
      throw new Error(`unhandled command ${JSON.stringify(never)}`)
    }
  }
}

async function list(
  command: Extract<DlqCommand, { command: 'list' }>,
  marks: Watermarks[],
  ctx: Context,
): Promise<void> {
  let shown = 0
  if (!command.json) out(listHeader)
  await readDlq(ctx.kafka, marks, {
    brokers: ctx.config.brokers,
    logger: ctx.logger,
    onRecord: (record) => {
      if (!matches(record, command.filter)) return false
      out(command.json ? JSON.stringify(summary(record)) : listLine(record))
      shown++
      return command.limit !== undefined && shown >= command.limit
    },
  })
  const range = marks.map((m) => `partition ${m.partition}: offsets ${m.low}–${m.high - 1n}`).join('; ')
  note(
    `${shown} dead letter(s) shown${command.limit !== undefined && shown >= command.limit ? ` (--limit ${command.limit}; more may follow)` : ''}; ${marks.every((m) => m.low === m.high) ? 'the topic is empty' : range}`,
  )
}

/** The records at `positions`, in that order; DLQ_OFFSET_UNKNOWN naming every one not held. */
async function fetchAt(positions: DlqPosition[], marks: Watermarks[], ctx: Context): Promise<DlqRecord[]> {
  const unknown = positions.flatMap((at) => {
    const m = marks.find((w) => w.partition === at.partition)
    if (m === undefined)
      return [
        `${formatPosition(at)}: ${`tokenline.dlq.v1 has no partition ${at.partition}`} (partitions ${marks.map((w) => w.partition).join(', ')})`,
      ]
    if (at.offset < m.low || at.offset >= m.high)
      return [
        `${formatPosition(at)}: partition ${m.partition} holds ${m.low === m.high ? 'no records' : `offsets ${m.low}–${m.high - 1n}`}`,
      ]
    return []
  })
  if (unknown.length > 0)
    throw new DlqError('DLQ_OFFSET_UNKNOWN', `unknown dead letter(s):\n  - ${unknown.join('\n  - ')}`)
  const from = new Map<number, bigint>()
  for (const at of positions) {
    const first = from.get(at.partition)
    if (first === undefined || at.offset < first) from.set(at.partition, at.offset)
  }
  const wanted = new Set(positions.map(formatPosition))
  const found = new Map<string, DlqRecord>()
  await readDlq(ctx.kafka, marks, {
    brokers: ctx.config.brokers,
    logger: ctx.logger,
    from,
    only: true,
    onRecord: (record) => {
      const at = `${record.partition}:${record.offset}`
      if (wanted.has(at)) found.set(at, record)
      return found.size === wanted.size
    },
  })
  const missing = [...wanted].filter((at) => !found.has(at))
  if (missing.length > 0)
    throw new DlqError(
      'DLQ_OFFSET_UNKNOWN',
      `no record at ${missing.join(', ')} (removed by retention while reading?)`,
    )
  return positions.map((at) => found.get(formatPosition(at))!)
}

async function redrive(
  command: Extract<DlqCommand, { command: 'redrive' }>,
  marks: Watermarks[],
  ctx: Context,
): Promise<void> {
  let records: DlqRecord[]
  if ('at' in command.select) {
    records = await fetchAt(command.select.at, marks, ctx)
  } else {
    const filter = command.select.filter
    records = []
    await readDlq(ctx.kafka, marks, {
      brokers: ctx.config.brokers,
      logger: ctx.logger,
      onRecord: (record) => {
        if (matches(record, filter)) records.push(record)
        return false
      },
    })
    if (records.length === 0) {
      note(
        `no dead letter matches --code ${filter.code}${filter.topic === undefined ? '' : ` --topic ${filter.topic}`}; nothing sent`,
      )
      return
    }
  }
  const refused = records.flatMap((r) => {
    const why = redriveRefusal(r)
    return why === undefined ? [] : [`${r.partition}:${r.offset}: ${why}`]
  })
  if (refused.length > 0)
    throw new DlqError(
      'DLQ_REDRIVE_REFUSED',
      `refused, nothing sent (${refused.length} of ${records.length} selected):\n  - ${refused.join('\n  - ')}`,
    )
  const { kept, skipped } = onePerOrigin(records)
  if (skipped > 0)
    note(
      `${skipped} selected dead letter(s) stand for the same original record as another one (dead-lettered by several groups, or again after a redrive, or named twice): one record sent per original`,
    )
  const now = new Date()
  const redrives = kept.map((r) => redriveOf(r, now))
  for (const r of redrives) {
    const problem = contractProblem(r)
    if (problem !== undefined)
      note(
        `warning: ${r.from} still fails the current contract of ${r.topic} and will likely be dead-lettered again: ${clip(problem.replace(/\s*\n\s*/g, ' | '), 300)}`,
      )
  }
  const describe = (r: (typeof redrives)[number]) =>
    `${r.from} → ${r.topic} key ${r.key === null ? 'null' : JSON.stringify(r.key.toString('utf8'))} ${r.value.length} bytes headers ${JSON.stringify(r.headers)}`
  if (command.dryRun) {
    for (const r of redrives) out(`would send ${describe(r)}`)
    note(`dry run: ${redrives.length} record(s) would be sent; nothing sent`)
    return
  }
  const producer = new MessageProducer(ctx.kafka, {
    logger: ctx.logger,
    brokers: ctx.config.brokers,
    connectRetry: { attempts: 3 },
  })
  await producer.connect()
  try {
    // One record per send, so each line names the partition and offset it landed on.
    for (const r of redrives) {
      const [ack] = await producer.publishEncoded({ topic: r.topic }, [
        { key: r.key, value: r.value, headers: r.headers },
      ])
      out(`sent ${describe(r)} → partition ${ack?.partition} offset ${ack?.offset}`)
    }
  } finally {
    await producer.disconnect()
  }
  note(`${redrives.length} record(s) redriven`)
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`dlq: ${err.message}\n`)
      process.exit(2)
    }
    const code = isTokenlineError(err) ? `${err.code}: ` : ''
    process.stderr.write(`dlq: ${code}${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
