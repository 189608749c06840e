import type { ApolloServerPlugin } from '@apollo/server'
import { Counter, Histogram, type Registry } from 'prom-client'
import type { GatewayContext } from './context.ts'

/** Distinct operation names that get their own metrics label; later ones count under `other`. */
export const maxOperationLabels = 50
const operationNamePattern = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/

export type GraphqlMetrics = {
  /** Counts every request Apollo answers. */
  plugin: ApolloServerPlugin<GatewayContext>
  /** Counts a request answered without Apollo (a response-cache hit in the HTTP handler). */
  observe(operationName: string | null | undefined, outcome: 'ok' | 'error', seconds: number): void
}

// One set of series per registry: the Apollo plugin and the HTTP handler's cache hits share it.
const perRegistry = new WeakMap<Registry, GraphqlMetrics>()

/** Requests by operation name and outcome, and their duration (seconds). */
export function graphqlMetrics(registry: Registry): GraphqlMetrics {
  const existing = perRegistry.get(registry)
  if (existing) return existing
  const requests = new Counter({
    name: 'tokenline_gateway_graphql_requests_total',
    help: 'GraphQL requests by operation name (the first 50 names seen, then other) and outcome (ok | error)',
    labelNames: ['operation', 'outcome'],
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'tokenline_gateway_graphql_request_duration_seconds',
    help: 'GraphQL request duration, parse to response (s)',
    labelNames: ['operation'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  // Clients choose operation names: without a bound, every new name is a new series, forever.
  const labels = new Set<string>()
  const label = (name: string | null | undefined): string => {
    if (!name) return 'anonymous'
    if (labels.has(name)) return name
    if (labels.size >= maxOperationLabels || !operationNamePattern.test(name)) return 'other'
    labels.add(name)
    return name
  }
  const metrics: GraphqlMetrics = {
    plugin: {
      async requestDidStart() {
        const stop = duration.startTimer()
        return {
          async willSendResponse({ operationName, errors }) {
            const operation = label(operationName)
            stop({ operation })
            requests.inc({ operation, outcome: errors?.length ? 'error' : 'ok' })
          },
        }
      },
    },
    observe(operationName, outcome, seconds) {
      const operation = label(operationName)
      duration.observe({ operation }, seconds)
      requests.inc({ operation, outcome })
    },
  }
  perRegistry.set(registry, metrics)
  return metrics
}
