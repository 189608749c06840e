import { Lifecycle, runMain } from '../../../lib/lifecycle/index.ts'
import { createLogger } from '../../../lib/log/index.ts'
import { startCloud } from './cloud.ts'
import { loadConfig } from './config.ts'

runMain('cloud', async () => {
  const config = loadConfig(process.env)
  const log = createLogger('cloud', config.logLevel).child({ instance: config.instanceId })
  const lifecycle = new Lifecycle(log)
  lifecycle.handleSignals()
  const cloud = await startCloud(config, { log })
  lifecycle.add('cloud', cloud.close)
  log.info(
    {
      port: cloud.port,
      group: config.groupId,
      executionProviders: cloud.pool.stats().executionProviders,
      maxBatch: config.maxBatch,
      maxDelayMs: config.maxDelayMs,
      ...(config.drillCommitDelayMs > 0 ? { drillCommitDelayMs: config.drillCommitDelayMs } : {}),
    },
    `cloud ready: consuming escalations in group ${config.groupId}, health and metrics on port ${cloud.port}`,
  )
})
