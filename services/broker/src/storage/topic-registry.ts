import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../../../../lib/log/index.ts'
import { KafkaError } from '../protocol/error-codes.ts'
import { writeFileDurably } from './durable-file.ts'
import { type LogSettings, PartitionLog } from './partition-log.ts'

/** Kafka's default for `delete.retention.ms`: tombstones stay readable for a day. */
const DEFAULT_DELETE_RETENTION_MS = 86_400_000

export type Topic = {
  name: string
  partitions: PartitionLog[]
  configs: Record<string, string>
  settings: LogSettings
}

export type TopicDefaults = Omit<LogSettings, 'cleanupPolicy' | 'deleteRetentionMs'>

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/

/** Why a topic name is invalid, or null when it is fine (Kafka's rules). */
export function topicNameProblem(name: string): string | null {
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..')
    return `expected topic name of 1–249 characters from [a-zA-Z0-9._-], received ${JSON.stringify(name)}`
  return null
}

type CreateResult = { errorCode: 0 } | { errorCode: number; message: string }

/**
 * The topics on disk: `<dir>/<topic>/topic.json` (partition count + configs) and one
 * sub-directory of segments per partition (`<dir>/<topic>/<partition>/`).
 */
export class TopicRegistry {
  readonly topics = new Map<string, Topic>()

  constructor(
    private readonly dir: string,
    private readonly defaults: TopicDefaults,
    private readonly log: Logger,
  ) {
    mkdirSync(dir, { recursive: true })
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith('.deleted-')) {
        rmSync(join(dir, entry), { recursive: true, force: true })
        continue
      }
      const meta = join(dir, entry, 'topic.json')
      if (!existsSync(meta)) continue
      const { name, partitions, configs } = JSON.parse(readFileSync(meta, 'utf8')) as {
        name: string
        partitions: number
        configs: Record<string, string>
      }
      this.open(name, partitions, configs)
    }
  }

  private settingsFor(configs: Record<string, string>): LogSettings | string {
    const num = (key: string, fallback: number, min: number): number | string => {
      const raw = configs[key]
      if (raw === undefined) return fallback
      const n = Number(raw)
      if (!Number.isInteger(n) || n < min)
        return `expected ${key} to be an integer >= ${min}, received ${JSON.stringify(raw)}`
      return n
    }
    const policy = configs['cleanup.policy'] ?? 'delete'
    if (policy !== 'delete' && policy !== 'compact')
      return `expected cleanup.policy delete or compact, received ${JSON.stringify(policy)}`
    const values = {
      segmentBytes: num('segment.bytes', this.defaults.segmentBytes, 1024),
      segmentMs: num('segment.ms', this.defaults.segmentMs, 1),
      retentionBytes: num('retention.bytes', this.defaults.retentionBytes, -1),
      retentionMs: num('retention.ms', this.defaults.retentionMs, -1),
      maxMessageBytes: num('max.message.bytes', this.defaults.maxMessageBytes, 0),
      deleteRetentionMs: num('delete.retention.ms', DEFAULT_DELETE_RETENTION_MS, 0),
    }
    for (const v of Object.values(values)) if (typeof v === 'string') return v
    return {
      ...(values as Record<keyof typeof values, number>),
      cleanupPolicy: policy,
      indexIntervalBytes: this.defaults.indexIntervalBytes,
    }
  }

  private open(name: string, partitions: number, configs: Record<string, string>): Topic {
    const settings = this.settingsFor(configs)
    if (typeof settings === 'string') throw new Error(`topic ${name}: ${settings}`)
    const logs: PartitionLog[] = []
    for (let p = 0; p < partitions; p++)
      logs.push(new PartitionLog(join(this.dir, name, String(p)), name, p, settings, this.log))
    const topic: Topic = { name, partitions: logs, configs, settings }
    this.topics.set(name, topic)
    return topic
  }

  /** Validates and creates a topic; with `validateOnly` nothing is written. */
  create(
    name: string,
    partitions: number,
    configs: Record<string, string>,
    validateOnly = false,
  ): CreateResult {
    const nameProblem = topicNameProblem(name)
    if (nameProblem) return { errorCode: KafkaError.INVALID_TOPIC_EXCEPTION, message: nameProblem }
    if (this.topics.has(name))
      return { errorCode: KafkaError.TOPIC_ALREADY_EXISTS, message: `topic ${name} already exists` }
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10_000)
      return {
        errorCode: KafkaError.INVALID_PARTITIONS,
        message: `expected 1–10000 partitions for ${name}, received ${partitions}`,
      }
    const settings = this.settingsFor(configs)
    if (typeof settings === 'string') return { errorCode: KafkaError.INVALID_CONFIG, message: settings }
    if (validateOnly) return { errorCode: 0 }
    mkdirSync(join(this.dir, name), { recursive: true })
    writeFileDurably(join(this.dir, name, 'topic.json'), JSON.stringify({ name, partitions, configs }))
    this.open(name, partitions, configs)
    this.log.info({ topic: name, partitions, configs }, 'created topic')
    return { errorCode: 0 }
  }

  /** Closes and removes a topic; its directory is renamed first so a crash mid-delete finishes at restart. */
  delete(name: string): boolean {
    const topic = this.topics.get(name)
    if (!topic) return false
    for (const p of topic.partitions) p.close()
    this.topics.delete(name)
    const grave = join(this.dir, `.deleted-${name}-${Date.now()}`)
    renameSync(join(this.dir, name), grave)
    rmSync(grave, { recursive: true, force: true })
    this.log.info({ topic: name }, 'deleted topic')
    return true
  }

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[partition]
  }

  close(): void {
    for (const t of this.topics.values()) for (const p of t.partitions) p.close()
  }
}
