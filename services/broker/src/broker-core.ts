import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../../../lib/log/index.ts'
import type { BrokerConfig } from './config.ts'
import { GroupCoordinator } from './groups/group-coordinator.ts'
import type { BrokerMetrics } from './metrics.ts'
import { WarnLimiter } from './server/warn-limiter.ts'
import { writeFileDurably } from './storage/durable-file.ts'
import { OffsetStore } from './storage/offset-store.ts'
import { TopicRegistry } from './storage/topic-registry.ts'

type FetchWaiter = { keys: Set<string>; wake: () => void }

/** The state every request handler works on: topics, groups, offsets, producer ids, fetch waiters. */
export class BrokerCore {
  readonly topics: TopicRegistry
  readonly offsets: OffsetStore
  readonly groups: GroupCoordinator
  readonly clusterId = 'tokenline-single-node'
  readonly nodeId = 0
  /** Host and port clients are told to connect to (the real bound port when BROKER_PORT=0). */
  advertised = { host: '', port: 0 }
  /** One "unsupported API or version" warning per client, API and version per minute. */
  readonly unsupportedWarnings = new WarnLimiter(60_000)
  private readonly waiters = new Set<FetchWaiter>()
  private nextProducerId: number
  private readonly producerIdFile: string

  constructor(
    readonly config: BrokerConfig,
    readonly metrics: BrokerMetrics | null,
    readonly log: Logger,
  ) {
    this.topics = new TopicRegistry(
      join(config.dataDir, 'topics'),
      {
        segmentBytes: config.segmentBytes,
        segmentMs: config.segmentMs,
        retentionBytes: config.retentionBytes,
        retentionMs: config.retentionMs,
        maxMessageBytes: config.maxMessageBytes,
        indexIntervalBytes: 4096,
      },
      log,
    )
    this.offsets = new OffsetStore(join(config.dataDir, 'groups'), log)
    this.groups = new GroupCoordinator(
      {
        minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
        maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
        initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
      },
      this.offsets,
      (topic, partition) => this.topics.partition(topic, partition) !== undefined,
      log,
    )
    this.producerIdFile = join(config.dataDir, 'producer-ids.json')
    let next = existsSync(this.producerIdFile)
      ? (JSON.parse(readFileSync(this.producerIdFile, 'utf8')) as { next: number }).next
      : 1000
    for (const t of this.topics.topics.values())
      for (const p of t.partitions) next = Math.max(next, p.producers.maxProducerId() + 1)
    this.nextProducerId = next
  }

  /** A fresh producer id, persisted before it is handed out so no id is reused after a restart. */
  allocateProducerId(): number {
    const id = this.nextProducerId++
    writeFileDurably(this.producerIdFile, JSON.stringify({ next: this.nextProducerId }))
    return id
  }

  /** Registers a parked Fetch; `wake` runs when any of `keys` ("topic\0partition") gets data. */
  addFetchWaiter(keys: Set<string>, wake: () => void): () => void {
    const w = { keys, wake }
    this.waiters.add(w)
    return () => this.waiters.delete(w)
  }

  notifyAppend(keys: Iterable<string>): void {
    if (this.waiters.size === 0) return
    const touched = new Set(keys)
    for (const w of [...this.waiters]) {
      for (const k of touched) {
        if (w.keys.has(k)) {
          w.wake()
          break
        }
      }
    }
  }

  wakeAllFetches(): void {
    for (const w of [...this.waiters]) w.wake()
  }

  /** fsync every partition and the offsets file that changed since the last flush. */
  flushAll(): void {
    for (const t of this.topics.topics.values()) for (const p of t.partitions) p.flush()
    this.offsets.flush()
  }

  /** Retention and compaction over every partition. */
  clean(now: number): void {
    for (const t of this.topics.topics.values()) {
      for (const p of t.partitions) {
        try {
          if (t.settings.cleanupPolicy === 'compact') p.compact(now)
          else p.applyRetention(now)
        } catch (err) {
          this.log.error({ err, topic: t.name, partition: p.partition }, 'log cleaning failed')
        }
      }
    }
  }

  close(): void {
    this.groups.close()
    this.wakeAllFetches()
    this.topics.close()
    this.offsets.close()
  }
}
