import type { Registry } from 'prom-client'
import { DbError, type InspectionRow, type InspectionWrite, type Storage } from '../../../../lib/db/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import {
  type BatchItem,
  type EscalationV1,
  escalationV1,
  type MessageContract,
  type Messaging,
  openMessaging,
  type ResultV1,
  resultV1,
  type Subscription,
  type VerdictV1,
  type VerdictV2,
  verdictV1,
  verdictV2,
} from '../../../../lib/messaging/index.ts'
import type { GatewayEvents } from '../events/gateway-events.ts'
import { IngestError } from './errors.ts'
import { IngestMetrics } from './ingest.metrics.ts'
import { resultWrite, verdictV1Write, verdictV2Write } from './record-mapping.ts'
import { thumbnailPng } from './thumbnail.ts'

export type KafkaIngestOptions = {
  brokers: string[]
  storage: Storage
  events: GatewayEvents
  log: Logger
  registry?: Registry
  /** Consumer groups are `<prefix>.results`, `.verdicts`, `.verdicts-v1`, `.escalations`; default `tokenline-gateway`. */
  groupPrefix?: string
  /** Wait between connection rounds while Kafka is down (ms); default 5000. */
  retryMs?: number
  /** Most records stored in one database transaction; default 64. */
  maxBatch?: number
  /**
   * Session timeout of the four consumer groups, ms; default 10000 (see GatewayConfig.sessionTimeoutMs).
   * Heartbeats go every tenth of it, at most every 3 s.
   */
  sessionTimeoutMs?: number
}

/** Final verdict identity: a write that changes it emits `inspectionDecided`. */
const finalOf = (
  row: { verdict: string | null; decidedBy: string | null; decidedAt: Date | null } | undefined,
) =>
  row?.verdict == null ? null : `${row.verdict}\u0000${row.decidedBy}\u0000${row.decidedAt?.toISOString()}`

/**
 * The gateway's Kafka consumers: results (v1) and cloud verdicts (v2, and v1 from older
 * producers) into `inspections` and `cost_ledger`, escalations into thumbnails. One consumer
 * group per topic (kafkajs' assigner assumes every member of a group reads the same topics).
 *
 * Each batch of up to `maxBatch` records of one partition is written in one transaction, and the
 * offsets are committed only after it commits, so a crash means redelivery, and redelivery
 * leaves the same rows (upserts are idempotent on the inspection id; the cost ledger on id and
 * tier). Records that fail their contract are dead-lettered by the consumer wrapper; records
 * the database refuses (a line of another plant) are dead-lettered one by one while the rest of
 * their batch is stored; a database outage is retried with backoff, never dead-lettered.
 *
 * Connects in the background and retries every `retryMs` while Kafka is down, so GraphQL serves
 * without it.
 */
export class KafkaIngest {
  private messaging: Messaging | undefined
  private closed = false
  private timer: NodeJS.Timeout | undefined
  private wake: (() => void) | undefined
  private loop: Promise<void> | undefined
  private readonly subscriptions: Subscription[] = []
  private readonly metrics: IngestMetrics | undefined
  /** (line, policy version) → prices per 1k tokens; versions never change once stored. */
  private readonly prices = new Map<string, { edge: number; cloud: number }>()
  private stopWaiting!: () => void
  /** Resolves at close: a wait for group joins (which a slow broker may never grant) ends with it. */
  private readonly closing = new Promise<void>((resolve) => {
    this.stopWaiting = resolve
  })
  private resolveJoined!: () => void
  private readonly joinedAll = new Promise<void>((resolve) => {
    this.resolveJoined = resolve
  })

  constructor(private readonly options: KafkaIngestOptions) {
    this.metrics = options.registry ? IngestMetrics.for(options.registry) : undefined
  }

  start(): void {
    this.loop ??= this.run()
  }

  /** Resolves once every consumer has joined its group (tests, benchmarks). */
  joined(): Promise<void> {
    return this.joinedAll
  }

  /** True while connected and every consumer is in its group: for `/readyz` if wanted. */
  isReady(): boolean {
    return this.messaging?.isReady() ?? false
  }

  /** Stops consuming (each consumer finishes the batch in hand), then disconnects. */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    this.wake?.()
    this.stopWaiting()
    await this.loop
    await this.messaging?.close()
    this.messaging = undefined
  }

  private async run(): Promise<void> {
    const { log } = this.options
    const retryMs = this.options.retryMs ?? 5000
    while (!this.closed) {
      try {
        this.messaging = await openMessaging({
          brokers: this.options.brokers,
          clientId: 'tokenline-gateway-ingest',
          logger: log,
          registry: this.options.registry,
          connectRetry: { attempts: 2, initialDelayMs: 250, maxDelayMs: 1000 },
        })
        if (this.closed) break
        await this.subscribeAll(this.messaging)
        await Promise.race([Promise.all(this.subscriptions.map((s) => s.joined)), this.closing])
        if (this.closed) break
        log.info({ groupPrefix: this.groupPrefix }, 'ingest consuming results, verdicts and escalations')
        this.resolveJoined()
        return
      } catch (err) {
        await this.messaging?.close().catch(() => undefined)
        this.messaging = undefined
        this.subscriptions.length = 0
        if (this.closed) return
        log.warn(
          { err: (err as Error).message, retryInMs: retryMs },
          'ingest could not connect to Kafka yet; retrying',
        )
        await new Promise<void>((resolve) => {
          this.wake = resolve
          this.timer = setTimeout(resolve, retryMs)
        })
      }
    }
    await this.messaging?.close()
    this.messaging = undefined
  }

  private get groupPrefix(): string {
    return this.options.groupPrefix ?? 'tokenline-gateway'
  }

  private async subscribeAll(messaging: Messaging): Promise<void> {
    const maxBatch = this.options.maxBatch ?? 64
    const sessionTimeoutMs = this.options.sessionTimeoutMs ?? 10_000
    // kafkajs heartbeats between batches only: a short interval leaves most of the session to
    // the batch in hand (the gap between two heartbeats is up to one interval plus one batch).
    const membership = {
      sessionTimeoutMs,
      heartbeatIntervalMs: Math.min(3000, Math.floor(sessionTimeoutMs / 10)),
    }
    const batches = <T>(
      contract: MessageContract<T>,
      group: string,
      toWrite: (m: T) => Promise<InspectionWrite>,
    ) =>
      messaging.subscribeBatches<T>({
        contract,
        groupId: `${this.groupPrefix}.${group}`,
        maxBatch,
        ...membership,
        retry: { initialDelayMs: 200, maxDelayMs: 5000 },
        handleBatch: (items) => this.storeBatch(contract.topic, items, toWrite),
      })
    this.subscriptions.push(
      await batches<ResultV1>(resultV1, 'results', async (r) =>
        resultWrite(r, (await this.pricesOf(r.lineId, r.policyVersion)).edge),
      ),
      await batches<VerdictV2>(verdictV2, 'verdicts', async (v) => verdictV2Write(v)),
      await batches<VerdictV1>(verdictV1, 'verdicts-v1', async (v) =>
        verdictV1Write(v, (await this.pricesOf(v.lineId, v.policyVersion)).cloud),
      ),
      await messaging.subscribe<EscalationV1>({
        contract: escalationV1,
        groupId: `${this.groupPrefix}.escalations`,
        ...membership,
        retry: { initialDelayMs: 200, maxDelayMs: 5000 },
        handler: (e, context) => this.storeThumbnail(e, Number(context.timestamp)),
      }),
    )
  }

  /** The batch in one transaction; on a refused record, each record alone so only it is dead-lettered. */
  private async storeBatch<T>(
    topic: string,
    items: BatchItem<T>[],
    toWrite: (m: T) => Promise<InspectionWrite>,
  ): Promise<{ failed?: { index: number; error: unknown }[] } | undefined> {
    let writes: InspectionWrite[]
    try {
      writes = await Promise.all(items.map((item) => toWrite(item.message)))
    } catch (err) {
      throw classify(err)
    }
    const newest = Number(items[items.length - 1]!.context.timestamp)
    try {
      await this.store(topic, writes)
      this.counted(topic, 'stored', writes.length, newest)
      return undefined
    } catch (err) {
      const failure = classify(err)
      if (failure.retriable || items.length === 1) {
        if (!failure.retriable) this.metrics?.records.inc({ topic, outcome: 'rejected' })
        throw failure
      }
    }
    const failed: { index: number; error: unknown }[] = []
    for (const [index, write] of writes.entries()) {
      try {
        await this.store(topic, [write])
        this.counted(topic, 'stored', 1, Number(items[index]!.context.timestamp))
      } catch (err) {
        const failure = classify(err)
        if (failure.retriable) throw failure
        this.metrics?.records.inc({ topic, outcome: 'rejected' })
        failed.push({ index, error: failure })
      }
    }
    return { failed }
  }

  /** Writes in one transaction; emits `inspectionDecided` for rows whose final verdict it set or changed. */
  private async store(topic: string, writes: InspectionWrite[]): Promise<void> {
    const decided = await this.options.storage.transaction(async (tx) => {
      const ids = [...new Set(writes.map((w) => w.id))]
      const before = new Map((await tx.inspections.getMany(ids)).map((row) => [row.id, finalOf(row)]))
      const changed = new Map<string, InspectionRow>()
      const rows = await tx.inspections.upsertMany(writes)
      for (const [index, write] of writes.entries()) {
        const row = rows[index]!
        const final = finalOf(row)
        // Only the write that brought the final verdict announces it (a provisional result that
        // lands after its cloud verdict does not), and only when it is new.
        if (final !== null && final === finalOf(write.final) && final !== before.get(row.id)) {
          changed.set(row.id, row)
        }
        before.set(row.id, final)
      }
      return changed
    })
    if (decided.size > 0) this.metrics?.decided.inc({ topic }, decided.size)
    for (const row of decided.values()) this.options.events.emit('inspectionDecided', row)
  }

  private async storeThumbnail(escalation: EscalationV1, timestamp: number): Promise<void> {
    const png = await thumbnailPng(escalation.image).catch((err: unknown) => {
      this.metrics?.records.inc({ topic: escalationV1.topic, outcome: 'rejected' })
      throw err
    })
    try {
      await this.options.storage.inspectionImages.put({
        inspectionId: escalation.inspectionId,
        mime: 'image/png',
        bytes: png,
      })
    } catch (err) {
      throw classify(err)
    }
    this.counted(escalationV1.topic, 'stored', 1, timestamp)
  }

  private counted(topic: string, outcome: 'stored', count: number, recordTimestamp: number): void {
    if (!this.metrics) return
    this.metrics.records.inc({ topic, outcome }, count)
    if (Number.isFinite(recordTimestamp)) {
      this.metrics.lagSeconds.set({ topic }, Math.max(0, (Date.now() - recordTimestamp) / 1000))
    }
  }

  /**
   * The per-1k-token prices of a line's policy version; 0 for a version the gateway does not
   * hold (an edge may run a policy published by another gateway, or a record predates its line).
   */
  private async pricesOf(lineId: string, version: number): Promise<{ edge: number; cloud: number }> {
    const key = `${lineId}\u0000${version}`
    const cached = this.prices.get(key)
    if (cached) return cached
    const row = await this.options.storage.policies.get(lineId, version)
    const costs = (row?.body as { costPer1kTokens?: { edge?: unknown; cloud?: unknown } } | undefined)
      ?.costPer1kTokens
    const price = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0)
    const prices = { edge: price(costs?.edge), cloud: price(costs?.cloud) }
    if (row) this.prices.set(key, prices)
    return prices
  }
}

/**
 * What a failed write means for the record: the database refused its content (invalid input,
 * SQLSTATE class 22 data exception or 23 integrity violation) → dead-letter it; anything else
 * (connection refused, server restarting, pool exhausted, PGlite busy) → retry it.
 */
function classify(err: unknown): IngestError {
  if (err instanceof IngestError) return err
  const message = err instanceof Error ? err.message : String(err)
  if (err instanceof DbError) {
    return err.code === 'DB_INPUT_INVALID' || err.code === 'DB_NOT_FOUND'
      ? new IngestError('INGEST_RECORD_REJECTED', message, false, { cause: err })
      : new IngestError('INGEST_STORAGE_UNAVAILABLE', message, true, { cause: err })
  }
  const state = sqlStateOf(err)
  if (state !== undefined && (state.startsWith('22') || state.startsWith('23'))) {
    return new IngestError('INGEST_RECORD_REJECTED', `the database refused the record: ${message}`, false, {
      cause: err,
    })
  }
  return new IngestError('INGEST_STORAGE_UNAVAILABLE', `storing failed: ${message}`, true, { cause: err })
}

function sqlStateOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code
  }
  return undefined
}
