import { Lifecycle, runMain } from '../../../lib/lifecycle/index.ts'
import { createLogger } from '../../../lib/log/index.ts'
import { startBroker } from './broker.ts'
import { loadConfig } from './config.ts'

runMain('broker', async () => {
  const config = loadConfig(process.env)
  const log = createLogger('broker', config.logLevel)
  const lifecycle = new Lifecycle(log)
  lifecycle.handleSignals()
  const broker = await startBroker(config, log)
  lifecycle.add('broker', () => broker.close())
})
