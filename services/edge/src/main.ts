import { Lifecycle, runMain } from '../../../lib/lifecycle/index.ts'
import { createLogger } from '../../../lib/log/index.ts'
import { loadConfig } from './config.ts'
import { startEdge } from './edge.ts'

runMain('edge', async () => {
  const config = loadConfig(process.env)
  const log = createLogger('edge', config.logLevel)
  const lifecycle = new Lifecycle(log)
  lifecycle.handleSignals()
  const edge = await startEdge(config, { log })
  lifecycle.add('edge', edge.close)
  log.info(
    { url: edge.url, lines: config.lines.map((l) => l.lineId) },
    `edge ready: POST ${edge.url}/v1/inspections?line=…`,
  )
})
