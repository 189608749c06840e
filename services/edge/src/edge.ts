import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Registry } from 'prom-client'
import { openStorage, type Storage, storageTarget } from '../../../lib/db/index.ts'
import { newRegistry, ServiceHttp } from '../../../lib/http/index.ts'
import { InferencePool, poolOptionsFromEnv } from '../../../lib/inference/index.ts'
import type { Logger } from '../../../lib/log/index.ts'
import { escalationV1, FileDeadLetterLedger, type PolicyV2, resultV1 } from '../../../lib/messaging/index.ts'
import { TokenCounter } from '../../../lib/policy/index.ts'
import type { EdgeConfig } from './config.ts'
import { EdgeError } from './errors.ts'
import { CapacityGuard } from './housekeeping/capacity.guard.ts'
import { Sweeper } from './housekeeping/sweeper.ts'
import { DemoCamera } from './ingest/demo-camera.ts'
import { FolderWatcher } from './ingest/folder.watcher.ts'
import { ingestRoutes } from './ingest/http.routes.ts'
import { WorkQueue } from './ingest/work-queue.ts'
import { Inspector } from './inspect/inspector.ts'
import { KafkaLink } from './link/kafka-link.ts'
import { EdgeMetrics } from './metrics.ts'
import { type EdgeModels, scanModels } from './models/models-dir.ts'
import { GroupCommit } from './outbox/group-commit.ts'
import { OutboxRelay } from './outbox/outbox.relay.ts'
import { PolicyStore } from './policy/policy.store.ts'

export type RunningEdge = {
  url: string
  port: number
  storage: Storage
  policies: PolicyStore
  link: KafkaLink
  relay: OutboxRelay
  sweeper: Sweeper
  inspector: Inspector
  /** Stops ingest (queue drained), the camera and watcher, the relay, Kafka, inference, the database. */
  close: () => Promise<void>
}

export type EdgeDeps = {
  log: Logger
  registry?: Registry
  clock?: () => Date
}

/**
 * Starts an edge node: its own database (outbox + inspections), the last known policies from
 * disk, the edge models in worker threads, the HTTP API, the housekeeping loop, then the Kafka
 * link in the background (the node decides with Kafka down), the relay, the watched folders and
 * the demo camera.
 */
export async function startEdge(config: EdgeConfig, deps: EdgeDeps): Promise<RunningEdge> {
  const { log } = deps
  const nodeDir = join(config.dataDir, `edge-${config.nodeId}`)
  const imagesDir = join(nodeDir, 'images')
  await mkdir(imagesDir, { recursive: true })
  const registry = deps.registry ?? newRegistry('tokenline_edge')
  const queue = new WorkQueue(config.concurrency, config.queueMax)
  let linkUp = () => false
  const metrics = new EdgeMetrics(registry, { queueDepth: () => queue.depth, linkUp: () => linkUp() })
  const closers: Array<[string, () => Promise<void>]> = []
  const close = async () => {
    for (const [name, fn] of closers.reverse()) {
      await fn().catch((err: unknown) => log.error({ err, part: name }, 'close failed'))
    }
    closers.length = 0
  }
  try {
    const storage = await openStorage(storageTarget(config.databaseUrl, nodeDir), {
      log,
      owner: `edge-${config.nodeId}`,
    })
    closers.push(['storage', () => storage.close()])
    // Runs last before the database closes: what an operator needs to know about this stop.
    closers.push([
      'outbox report',
      async () => {
        const depth = await storage.edgeOutbox.depth()
        log.info(
          {
            outboxRows: depth.rows,
            outboxBytes: depth.bytes,
            oldestCreatedAt: depth.oldestCreatedAt,
            outbox: depth.rows === 0 ? 'empty' : 'unsent records wait on disk; sent after the restart',
          },
          'edge stopped',
        )
      },
    ])
    const models = await scanModels(config.modelsDir, log)
    if (models.edge.size === 0)
      throw new Error(`no edge model (manifest role "edge" with its ONNX file) under ${config.modelsDir}`)
    const policies = new PolicyStore(config.lines, join(nodeDir, 'policies.json'), policyProblem(models), log)
    const fromDisk = await policies.load()
    const pool = await InferencePool.start([...models.edge.values()], {
      ...poolOptionsFromEnv(config.inference),
      logger: log,
    })
    closers.push(['inference', () => pool.close()])

    const counter = new TokenCounter()
    const now = (deps.clock ?? (() => new Date()))()
    const hourStart = new Date(now.getTime() - (now.getTime() % 3_600_000))
    for (const [lineId, tokens] of await storage.edgeInspections.cloudTokensSince(hourStart))
      counter.add(lineId, tokens, now.getTime())

    const guard = new CapacityGuard(config, config.dataDir)
    const deadLetterLedger = await FileDeadLetterLedger.open(join(nodeDir, 'dead-lettered.json'), log)
    const link = new KafkaLink(
      { brokers: config.kafkaBrokers, nodeId: config.nodeId, registry, deadLetterLedger },
      {
        // A failure here is the node's own disk or database, never the message: retriable, so the
        // consumer retries with back-off instead of dead-lettering a good verdict or policy.
        // A policy this node cannot run is thrown as not retriable: the consumer dead-letters the
        // record once (the ledger remembers it across replays and restarts) and moves on, and the
        // line keeps the policy it runs. Every replay still hands it to the store, so a restart
        // with the missing model installed applies it.
        onPolicy: async (policy) => {
          const outcome = await retriable(() => policies.apply(policy))
          if (outcome.kind === 'refused')
            throw new EdgeError(
              'EDGE_POLICY_UNRUNNABLE',
              `policy version ${policy.version} of line ${policy.lineId} cannot run on node ${config.nodeId}: ${outcome.problem}; the line keeps version ${policies.get(policy.lineId)?.version ?? 'none'}`,
            )
        },
        onVerdict: (verdict) =>
          retriable(async () => {
            const changed = await storage.edgeInspections.settle(verdict.inspectionId, {
              label: verdict.cloud.label,
              probabilities: verdict.cloud.probabilities,
              answer: verdict.answer?.probability ?? null,
              at: new Date(verdict.decidedAt),
            })
            if (changed) metrics.settled.inc({ line: verdict.lineId })
          }),
      },
      log,
    )
    linkUp = () => link.isUp()
    const relay = new OutboxRelay(
      storage,
      () => link.producer(),
      new Map([
        [resultV1.topic, resultV1 as never],
        [escalationV1.topic, escalationV1 as never],
      ]),
      metrics,
      log,
      {
        batch: config.relayBatch,
        intervalMs: config.relayIntervalMs,
        maxBackoffMs: config.relayMaxBackoffMs,
        maxSendBytes: config.relayMaxSendBytes,
        clock: deps.clock,
      },
    )
    const inspector = new Inspector({
      nodeId: config.nodeId,
      storage,
      commits: new GroupCommit(storage),
      pool,
      policies,
      edgeModels: models.edge,
      cloudManifests: models.cloud,
      counter,
      guard,
      metrics,
      log,
      imagesDir,
      limits: { maxInputPixels: config.maxPixels, maxInputBytes: config.maxBodyBytes },
      clock: deps.clock,
      onCommitted: () => relay.kick(),
    })
    const sweeper = new Sweeper(storage, policies, guard, metrics, log, {
      intervalMs: 1000,
      imageRetentionMs: config.imageRetentionMs,
      clock: deps.clock,
    })
    await sweeper.sweep()
    sweeper.start()
    closers.push(['housekeeping', () => sweeper.stop()])

    const http = new ServiceHttp({
      host: config.host,
      port: config.port,
      registry,
      // Ready = the database answers. Kafka is not required (the edge decides offline and
      // escalations wait in the outbox); a line still without a policy is refused per request
      // with EDGE_LINE_NO_POLICY and shown in /v1/lines and /v1/health.
      ready: async () => {
        return storage.ping().then(
          () => true,
          () => false,
        )
      },
      routes: [
        ...ingestRoutes({
          inspector,
          queue,
          policies,
          metrics,
          log,
          maxBodyBytes: config.maxBodyBytes,
          nodeId: config.nodeId,
        }),
        async (req, res) => {
          if (req.method !== 'GET' || req.url !== '/v1/health') return false
          const depth = guard.outbox
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end(
            JSON.stringify({
              nodeId: config.nodeId,
              kafka: link.isUp() ? 'up' : 'down',
              outbox: { rows: depth.rows, bytes: depth.bytes, oldestCreatedAt: depth.oldestCreatedAt },
              queue: { waiting: queue.depth, active: queue.active },
              problems: guard.problems(),
              lines: config.lines.map((l) => ({
                ...l,
                policyVersion: policies.get(l.lineId)?.version ?? null,
              })),
            }),
          )
          return true
        },
      ],
    })
    // Closed in reverse: the camera and folders, the queue (new images are refused with
    // EDGE_CLOSING, those in hand are committed), HTTP, then the relay and Kafka, each waited for a
    // bounded time: a node cut off from the broker stops in seconds with its outbox on disk.
    link.start()
    closers.push(['kafka', () => link.close()])
    relay.start()
    closers.push([
      'outbox relay',
      async () => {
        if (!(await relay.stop()))
          log.info('outbox relay stopped waiting for a send in flight; its records stay in the outbox')
      },
    ])
    const port = await http.listen()
    closers.push(['http', () => http.close()])
    closers.push(['ingest queue', () => queue.close()])

    if (config.watchDir) {
      const watcher = new FolderWatcher(
        config.watchDir,
        config.lines.map((l) => l.lineId),
        inspector,
        queue,
        metrics,
        log,
        config.watchIntervalMs,
      )
      await watcher.start()
      closers.push(['watched folders', () => watcher.stop()])
    }
    const camera = new DemoCamera(config.demoLine, config.demoRate, inspector, queue, metrics, log)
    camera.start()
    closers.push(['demo camera', () => camera.stop()])

    log.info(
      {
        nodeId: config.nodeId,
        lines: config.lines,
        policiesFromDisk: fromDisk,
        edgeModels: [...models.edge.keys()],
        port,
      },
      'edge node ready',
    )
    const host = config.host.includes(':') ? `[${config.host}]` : config.host
    return { url: `http://${host}:${port}`, port, storage, policies, link, relay, sweeper, inspector, close }
  } catch (err) {
    await close()
    throw err
  }
}

async function retriable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    throw new EdgeError('EDGE_STORAGE_UNAVAILABLE', `storing failed: ${(err as Error).message}`, {
      cause: err,
    })
  }
}

/** Why a policy cannot run on this node (model or budget missing), or undefined when it can. */
function policyProblem(models: EdgeModels): (policy: PolicyV2) => string | undefined {
  return (policy) => {
    const edge = models.edge.get(policy.edge.model)
    if (!edge)
      return `edge model ${policy.edge.model} is not on this node (have ${[...models.edge.keys()].join(', ')})`
    const unsupported = [policy.edge.budget, ...policy.edge.ladder].filter(
      (n) => !edge.manifest.budgets.includes(n),
    )
    if (unsupported.length > 0)
      return `edge model ${policy.edge.model} does not support budgets ${unsupported.join(', ')} (supports ${edge.manifest.budgets.join(', ')})`
    if (policy.egress.mode !== 'none' && !models.cloud.has(policy.cloud.model))
      return `cloud model ${policy.cloud.model} has no manifest under the models folder (needed to resize escalations)`
    return undefined
  }
}
