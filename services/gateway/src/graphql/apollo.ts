import { readFileSync } from 'node:fs'
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server'
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled'
import { Counter, Histogram, type Registry } from 'prom-client'
import type { Logger } from '../../../../lib/log/index.ts'
import type { GatewayContext } from './context.ts'
import { formatErrorWith } from './error-codes.ts'
import { resolvers } from './resolvers.ts'

/** schema.graphql at the repository root: the contract. */
export const schemaPath = new URL('../../../../schema.graphql', import.meta.url)

export function createApollo(log: Logger, registry: Registry): ApolloServer<GatewayContext> {
  return new ApolloServer<GatewayContext>({
    typeDefs: readFileSync(schemaPath, 'utf8'),
    resolvers,
    formatError: formatErrorWith(log),
    introspection: true,
    // Stack traces name files and dependencies; clients get the code and message only, the log keeps the rest.
    includeStacktraceInErrorResponses: false,
    // Lifecycle owns SIGINT/SIGTERM; Apollo's own handler re-raises the signal, killing the process before storage closes.
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginLandingPageDisabled(), metricsPlugin(registry)],
  })
}

/** Requests by operation name and outcome, and their duration (seconds). */
function metricsPlugin(registry: Registry): ApolloServerPlugin<GatewayContext> {
  const requests = new Counter({
    name: 'tokenline_gateway_graphql_requests_total',
    help: 'GraphQL requests by operation name and outcome (ok | error)',
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
  return {
    async requestDidStart() {
      const stop = duration.startTimer()
      return {
        async willSendResponse({ operationName, errors }) {
          const operation = operationName ?? 'anonymous'
          stop({ operation })
          requests.inc({ operation, outcome: errors?.length ? 'error' : 'ok' })
        },
      }
    },
  }
}
