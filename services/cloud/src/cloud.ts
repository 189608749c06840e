import type { Registry } from 'prom-client'
import { json, newRegistry, ServiceHttp } from '../../../lib/http/index.ts'
import { InferencePool, type LoadedModel, loadModel, resolveModelDir } from '../../../lib/inference/index.ts'
import type { Logger } from '../../../lib/log/index.ts'
import {
  escalationsTopicV1,
  escalationV1,
  type Messaging,
  openMessaging,
  policyV2,
  verdictV2,
} from '../../../lib/messaging/index.ts'
import type { CloudConfig } from './config.ts'
import { createEscalationHandler } from './consumer/escalation.handler.ts'
import { TakeoverWatch } from './dedup/takeover-watch.ts'
import { VerdictLedger } from './dedup/verdict-ledger.ts'
import { CloudError } from './errors.ts'
import { CloudMetrics } from './metrics/cloud.metrics.ts'
import { PriceBook } from './pricing/price-book.ts'
import { PriorityGate } from './scheduling/priority-gate.ts'

export type RunningCloud = {
  /** Port of /healthz, /readyz, /metrics and /status. */
  port: number
  /** Consuming escalations: in the group, verdict log reader joined, producer connected. */
  isReady(): boolean
  pool: InferencePool
  /** Leaves the group (the batch in hand finishes and commits), then stops the pool and HTTP. */
  close(): Promise<void>
}

/**
 * Loads the cloud models, starts the inference pool, joins the escalation consumer group and
 * serves health and metrics. Used by main.ts, tests and bench/cloud.ts.
 */
export async function startCloud(
  config: CloudConfig,
  deps: { log: Logger; registry?: Registry },
): Promise<RunningCloud> {
  const { log } = deps
  const registry = deps.registry ?? newRegistry('tokenline_cloud')
  const closers: Array<() => Promise<void>> = []
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((err) => log.error({ err }, 'close failed'))
  }
  let messaging: Messaging | undefined
  let ledger: VerdictLedger | undefined
  let pool: InferencePool | undefined
  let consuming = false
  const isReady = () => consuming && (messaging?.isReady() ?? false) && (ledger?.isReady() ?? false)
  const http = new ServiceHttp({
    host: config.host,
    port: config.port,
    registry,
    ready: isReady,
    routes: [
      (req, res) => {
        if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/status') return false
        json(res, 200, {
          instance: config.instanceId,
          group: config.groupId,
          ready: isReady(),
          executionProviders: pool?.stats().executionProviders ?? {},
          pool: pool?.stats() ?? null,
          models: [...models.values()].map((m) => ({
            name: m.manifest.name,
            sha256: m.manifest.sha256,
            budgets: m.manifest.budgets,
          })),
          maxBatch: config.maxBatch,
          maxDelayMs: config.maxDelayMs,
          verdictsRemembered: ledger?.size ?? 0,
        })
        return true
      },
    ],
  })
  const models = new Map<string, LoadedModel>()
  try {
    const port = await http.listen()
    closers.push(() => http.close())
    for (const name of config.models) {
      const loaded = await loadModel(await resolveModelDir(name, config.modelsDir))
      if (loaded.manifest.role !== 'cloud' || !loaded.manifest.io.question)
        log.warn(
          { model: loaded.manifest.name, role: loaded.manifest.role },
          'serving a model without a question input: questions are not fused',
        )
      if (models.has(loaded.manifest.name))
        throw new CloudError(
          'CLOUD_MODEL_INVALID',
          `expected CLOUD_MODELS to name each model once but ${name} repeats`,
        )
      models.set(loaded.manifest.name, loaded)
    }
    pool = await InferencePool.start([...models.values()], {
      workers: config.pool.workers,
      intraOpNumThreads: config.pool.intraOpNumThreads,
      maxQueuedImages: config.pool.maxQueuedImages,
      executionProviders: config.pool.executionProviders,
      maxBatch: config.maxBatch,
      maxDelayMs: config.maxDelayMs,
      logger: log,
    })
    const runningPool = pool
    closers.push(() => runningPool.close())
    log.info(
      { models: [...models.keys()], executionProviders: pool.stats().executionProviders },
      'cloud models loaded',
    )

    messaging = await openMessaging({
      brokers: config.kafkaBrokers,
      clientId: `tokenline-cloud-${config.instanceId}`,
      logger: log,
      registry,
      idempotent: true,
    })
    const openMessagingHandle = messaging
    closers.push(() => openMessagingHandle.close())
    ledger = await VerdictLedger.start({
      kafka: messaging.kafka,
      groupId: `${config.groupId}-verdict-ledger-${config.instanceId}`,
      logger: log.child({ part: 'verdict-ledger' }),
      maxEntries: config.dedupMaxEntries,
      windowMs: config.dedupWindowMs,
      syncTimeoutMs: config.ledgerSyncTimeoutMs,
    })
    const openLedger = ledger
    closers.push(() => openLedger.close())

    const prices = new PriceBook(config.defaultCostPer1kTokens)
    await messaging.subscribe({
      groupId: `${config.groupId}-policies-${config.instanceId}`,
      contract: policyV2,
      replayFromStart: true,
      handler: async (policy) => prices.apply(policy),
    })
    const metrics = new CloudMetrics(registry, {
      providers: () => runningPool.stats().executionProviders,
      lag: async () => {
        const [ends, [committed]] = await Promise.all([
          openLedger.admin.fetchTopicOffsets(escalationsTopicV1),
          openLedger.admin.fetchOffsets({ groupId: config.groupId, topics: [escalationsTopicV1] }),
        ])
        const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]))
        return new Map(
          ends.map((p) => {
            const at = done.get(p.partition) ?? -1
            return [p.partition, Number(p.high) - (at < 0 ? Number(p.low) : at)]
          }),
        )
      },
    })
    const producer = messaging.producer
    const handler = createEscalationHandler({
      pool,
      models,
      gate: new PriorityGate(config.maxBatch * config.pool.workers * 2),
      ledger,
      watch: new TakeoverWatch(config.sessionTimeoutMs / 2),
      prices,
      publish: async (verdicts) => {
        await producer.publishBatch(
          verdictV2,
          verdicts.map((v) => ({ key: v.lineId, message: v })),
        )
      },
      metrics,
      logger: log,
      instance: config.instanceId,
      commitDelayMs: config.drillCommitDelayMs,
    })
    const subscription = await messaging.subscribeBatches({
      groupId: config.groupId,
      contract: escalationV1,
      handleBatch: handler,
      maxBatch: config.maxBatch,
      concurrency: config.partitionsConcurrently,
      maxWaitMs: config.fetchMaxWaitMs,
      sessionTimeoutMs: config.sessionTimeoutMs,
      heartbeatIntervalMs: Math.min(3000, Math.floor(config.sessionTimeoutMs / 3)),
      fromBeginning: true,
    })
    consuming = true
    await subscription.joined
    return { port, isReady, pool, close: closeAll }
  } catch (err) {
    await closeAll()
    throw err
  }
}
