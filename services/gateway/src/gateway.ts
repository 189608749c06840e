import type { Registry } from 'prom-client'
import { openStorage, type Storage, storageTarget } from '../../../lib/db/index.ts'
import { newRegistry, ServiceHttp } from '../../../lib/http/index.ts'
import type { Logger } from '../../../lib/log/index.ts'
import type { Principal } from './auth/principal.ts'
import type { GatewayConfig } from './config.ts'
import { dashboardRoute } from './dashboard/static.route.ts'
import { GatewayEvents } from './events/gateway-events.ts'
import { createApollo } from './graphql/apollo.ts'
import { createContext } from './graphql/context.ts'
import { graphqlRoute } from './graphql/http-handler.ts'
import { importModelsDir } from './models/models-dir.importer.ts'
import { seedDemo } from './policy/demo-seed.ts'
import { PolicyPublisher } from './policy/policy.publisher.ts'

export type RunningGateway = {
  /** e.g. http://127.0.0.1:4000/graphql */
  graphqlUrl: string
  port: number
  storage: Storage
  /** Stops accepting requests, drains Apollo, closes the database. */
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
    }))
  const closeStorage = () => (ownsStorage ? storage.close() : Promise.resolve())
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
    const publisher = config.kafkaBrokers ? new PolicyPublisher(config.kafkaBrokers, storage, log) : undefined
    publisher?.start()
    const events = new GatewayEvents()
    // TRANSITIONAL (foundation commit of the write side): every request acts as an all-plants
    // admin until API-key verification is wired into the HTTP route. Not to be released like this.
    const unauthenticated: Principal = {
      keyId: 'none',
      name: 'unauthenticated',
      role: 'admin',
      allPlants: true,
      plantIds: new Set(),
    }
    const registry = deps.registry ?? newRegistry('tokenline_gateway')
    const apollo = createApollo(log, registry)
    await apollo.start()
    const http = new ServiceHttp({
      host: config.host,
      port: config.port,
      registry,
      ready: () =>
        storage.ping().then(
          () => true,
          () => false,
        ),
      routes: [
        graphqlRoute(apollo, {
          maxRequestBytes: config.maxRequestBytes,
          context: () => createContext(storage, config.maxPageSize, unauthenticated, events),
        }),
        dashboardRoute(),
      ],
    })
    const port = await http.listen().catch(async (err: unknown) => {
      await apollo.stop()
      throw err
    })
    const host = config.host.includes(':') ? `[${config.host}]` : config.host
    return {
      graphqlUrl: `http://${host}:${port}/graphql`,
      port,
      storage,
      close: async () => {
        await publisher?.close()
        await http.close()
        await apollo.stop()
        await closeStorage()
      },
    }
  } catch (err) {
    await closeStorage().catch(() => undefined)
    throw err
  }
}
