// First: graphql must see NODE_ENV when it loads (see production-mode.ts).
import './production-mode.ts'
import { Lifecycle, runMain } from '../../../lib/lifecycle/index.ts'
import { createLogger } from '../../../lib/log/index.ts'
import { loadConfig } from './config.ts'
import { startGateway } from './gateway.ts'

runMain('gateway', async () => {
  const config = loadConfig(process.env)
  const log = createLogger('gateway', config.logLevel)
  const lifecycle = new Lifecycle(log)
  lifecycle.handleSignals()
  const gateway = await startGateway(config, { log })
  lifecycle.add('gateway', gateway.close)
  log.info(
    {
      graphql: gateway.graphqlUrl,
      database: `${gateway.storage.driver} ${gateway.storage.location}`,
    },
    `gateway ready: GraphQL at ${gateway.graphqlUrl}`,
  )
})
