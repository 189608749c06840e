import { readFileSync } from 'node:fs'
import type { Registry } from 'prom-client'
import { openStorage, type Storage, storageTarget } from '../../../lib/db/index.ts'
import { newRegistry, ServiceHttp } from '../../../lib/http/index.ts'
import type { Logger } from '../../../lib/log/index.ts'
import { type CreatedAdminKey, ensureAdminKey } from './auth/admin-key.ts'
import { KeyVerifier } from './auth/key-verifier.ts'
import type { Principal } from './auth/principal.ts'
import { RateLimiter } from './auth/rate-limiter.ts'
import { Authenticator } from './auth/request-auth.ts'
import type { GatewayConfig } from './config.ts'
import { dashboardRoute } from './dashboard/static.route.ts'
import { EdgeClient } from './edge/edge.client.ts'
import { GatewayEvents } from './events/gateway-events.ts'
import { createApollo, schemaPath } from './graphql/apollo.ts'
import { createContext } from './graphql/context.ts'
import { formatErrorWith } from './graphql/error-codes.ts'
import { executableSchema } from './graphql/executable-schema.ts'
import { graphqlMetrics } from './graphql/graphql-metrics.ts'
import { graphqlRoute } from './graphql/http-handler.ts'
import { aliasLimitRule } from './graphql/limits/alias-limit.rule.ts'
import { depthLimitRule } from './graphql/limits/depth-limit.rule.ts'
import { resolvers } from './graphql/resolvers.ts'
import { responseCachePlugin } from './graphql/response-cache.plugin.ts'
import { attachGraphqlWs } from './graphql/ws.ts'
import { KafkaIngest } from './ingest/kafka.ingest.ts'
import { importModelsDir } from './models/models-dir.importer.ts'
import { seedDemo } from './policy/demo-seed.ts'
import { PolicyPublisher } from './policy/policy.publisher.ts'
import { CalibrationStore } from './replay/calibration-store.ts'
import { ReplayService } from './replay/replay.service.ts'

export type RunningGateway = {
  /** e.g. http://127.0.0.1:4000/graphql */
  graphqlUrl: string
  port: number
  storage: Storage
  /** The in-process bus (tests emit `inspectionDecided` on it as ingest would). */
  events: GatewayEvents
  /** The admin key created at this start (no key existed, no GATEWAY_ADMIN_KEY), also in its 0600 file. */
  adminKey: CreatedAdminKey | undefined
  /** Publishes policies on `tokenline.policies.v2`; undefined without KAFKA_BROKERS. */
  publisher: PolicyPublisher | undefined
  /** The Kafka consumers of results, verdicts and escalations; absent without KAFKA_BROKERS. */
  ingest?: KafkaIngest
  /** Stops accepting requests and WebSockets, drains Apollo, closes the database. */
  close: () => Promise<void>
}

/**
 * Opens storage (migrating it), imports models/ (manifests and scaling reports), then serves
 * /graphql, /healthz, /readyz and /metrics on one port. Used by main.ts, `npm start` and tests.
 */
export async function startGateway(
  config: GatewayConfig,
  deps: {
    log: Logger
    registry?: Registry
    /** An already open storage (tests); the caller keeps it and closes it. Default: opened from config. */
    storage?: Storage
  },
): Promise<RunningGateway> {
  const { log } = deps
  const ownsStorage = deps.storage === undefined
  const storage =
    deps.storage ??
    (await openStorage(storageTarget(config.databaseUrl, config.dataDir), {
      log,
      owner: 'gateway',
      connectAttempts: config.databaseConnectAttempts,
      statementTimeoutMs: config.requestTimeoutMs,
    }))
  const closeStorage = () => (ownsStorage ? storage.close() : Promise.resolve())
  let publisher: PolicyPublisher | undefined
  const revocations = new AbortController()
  try {
    const imported = await importModelsDir(config.modelsDir, storage, log)
    log.info(
      {
        modelsDir: config.modelsDir,
        models: imported.models,
        reports: imported.reports.length,
        newReports: imported.reports.filter((r) => r.created).length,
        problems: imported.problems.length,
      },
      'models imported',
    )
    if (config.demo) await seedDemo(storage, log)
    const adminKey = await ensureAdminKey(storage, config, log)
    const events = new GatewayEvents()
    publisher = config.kafkaBrokers ? new PolicyPublisher(config.kafkaBrokers, storage, log) : undefined
    publisher?.start(events)
    const replay = new ReplayService(new CalibrationStore(config.modelsDir), { maxMs: config.replayMaxMs })
    const registry = deps.registry ?? newRegistry('tokenline_gateway')
    const verifier = new KeyVerifier(storage, log)
    void (async () => {
      try {
        for await (const [keyId] of events.listen('apiKeyRevoked', revocations.signal)) verifier.evict(keyId)
      } catch {
        // aborted at close
      }
    })()
    const authenticator = new Authenticator(
      verifier,
      new RateLimiter(config.rateLimitPerSecond, config.rateLimitBurst),
      log,
      registry,
    )
    const edge = new EdgeClient({
      defaultUrl: config.edgeUrl,
      maxSubmitBytes: config.maxSubmitBytes,
      timeoutMs: config.edgeTimeoutMs,
    })
    const context = (principal: Principal) =>
      createContext(storage, config.maxPageSize, principal, events, edge, replay)
    const responseCache = responseCachePlugin({ ttlMs: config.responseCacheMs, registry })
    const apollo = createApollo(log, registry, config, [responseCache])
    await apollo.start()
    const http = new ServiceHttp({
      host: config.host,
      port: config.port,
      registry,
      // A GET carries the whole request in its URL: room for GATEWAY_MAX_REQUEST_BYTES plus ordinary headers.
      maxHeaderSize: config.maxRequestBytes + 16_384,
      ready: () =>
        storage.ping().then(
          () => true,
          () => false,
        ),
      routes: [
        graphqlRoute(apollo, {
          maxRequestBytes: config.maxRequestBytes,
          authenticate: (req, res) => authenticator.http(req, res),
          requestTimeoutMs: config.requestTimeoutMs,
          context,
          log,
          responseCache,
          metrics: graphqlMetrics(registry),
        }),
        dashboardRoute(),
      ],
    })
    const ws = attachGraphqlWs(http.httpServer, {
      schema: executableSchema(readFileSync(schemaPath, 'utf8'), resolvers as Record<string, unknown>),
      authenticator,
      verifier,
      events,
      context,
      formatError: formatErrorWith(log),
      log,
      // The same limits as HTTP requests, checked before a subscription runs.
      validationRules: [depthLimitRule(config.maxDepth), aliasLimitRule(config.maxAliases)],
      maxComplexity: config.maxComplexity,
      maxMessageBytes: config.maxRequestBytes,
      afterMutation: () => responseCache.clear(),
    })
    const port = await http.listen().catch(async (err: unknown) => {
      await ws.close()
      await apollo.stop()
      throw err
    })
    const ingest = config.kafkaBrokers
      ? new KafkaIngest({
          brokers: config.kafkaBrokers,
          storage,
          events,
          log,
          registry,
          sessionTimeoutMs: config.sessionTimeoutMs,
        })
      : undefined
    ingest?.start()
    const host = config.host.includes(':') ? `[${config.host}]` : config.host
    return {
      graphqlUrl: `http://${host}:${port}/graphql`,
      port,
      storage,
      events,
      adminKey,
      publisher,
      ingest,
      close: async () => {
        await ws.close()
        await ingest?.close()
        revocations.abort()
        await publisher?.close()
        await http.close()
        await apollo.stop()
        await closeStorage()
      },
    }
  } catch (err) {
    revocations.abort()
    await publisher?.close().catch(() => undefined)
    await closeStorage().catch(() => undefined)
    throw err
  }
}
