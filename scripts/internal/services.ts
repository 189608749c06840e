import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { StartConfig } from './start.config.ts'

export const serviceNames = ['broker', 'gateway', 'cloud', 'edge'] as const
export type ServiceName = (typeof serviceNames)[number]

/** Which environment variable holds each service's HTTP port (/healthz, /readyz, /metrics). */
export const httpPortVars = {
  broker: 'BROKER_HTTP_PORT',
  gateway: 'GATEWAY_PORT',
  cloud: 'CLOUD_PORT',
  edge: 'EDGE_PORT',
} as const satisfies Record<ServiceName, keyof StartConfig>

export type ServicePlan = {
  name: ServiceName
  /** `services/<name>/src/main.ts`, relative to the repository root. */
  main: string
  /** Whether `main` exists in this checkout. */
  present: boolean
  /** Why it is not started, when it is not. */
  skipped?: string
}

/**
 * The start order: the broker first (everything talks to it), then the gateway (it consumes
 * results and publishes policies), the cloud (consumes escalations) and the edge (produces).
 * Shutdown runs in reverse, so the edge drains its outbox while the broker is still up.
 */
export function planServices(root: string, config: StartConfig): ServicePlan[] {
  return serviceNames.map((name) => {
    const main = join('services', name, 'src', 'main.ts')
    const present = existsSync(join(root, main))
    if (name === 'broker' && config.KAFKA_BROKERS) {
      return { name, main, present, skipped: `KAFKA_BROKERS is set (${config.KAFKA_BROKERS.join(',')})` }
    }
    if (!present) return { name, main, present, skipped: `${main} does not exist in this checkout yet` }
    return { name, main, present }
  })
}
