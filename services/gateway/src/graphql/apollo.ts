import { readFileSync } from 'node:fs'
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server'
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled'
import type { Registry } from 'prom-client'
import type { Logger } from '../../../../lib/log/index.ts'
import type { GatewayContext } from './context.ts'
import { formatErrorWith } from './error-codes.ts'
import { graphqlMetrics } from './graphql-metrics.ts'
import { aliasLimitRule } from './limits/alias-limit.rule.ts'
import { depthLimitRule } from './limits/depth-limit.rule.ts'
import { limitsPlugin } from './limits/limits.plugin.ts'
import { resolvers } from './resolvers.ts'

/** schema.graphql at the repository root: the contract. */
export const schemaPath = new URL('../../../../schema.graphql', import.meta.url)

export type ApolloOptions = {
  /** GATEWAY_MAX_DEPTH */
  maxDepth: number
  /** GATEWAY_MAX_ALIASES */
  maxAliases: number
  /** GATEWAY_MAX_COMPLEXITY */
  maxComplexity: number
  /** GATEWAY_REQUEST_TIMEOUT_MS */
  requestTimeoutMs: number
  /** GATEWAY_INTROSPECTION: introspection and "Did you mean …" suggestions. */
  introspection: boolean
}

/**
 * Tokens a request may parse into. The 64 KB size cap alone allows ~30,000 tokens, and graphql's
 * validation compares same-named fields pairwise; no real dashboard or CLI query comes near this.
 */
export const maxTokens = 5000

export function createApollo(
  log: Logger,
  registry: Registry,
  options: ApolloOptions,
  extraPlugins: readonly ApolloServerPlugin<GatewayContext>[] = [],
): ApolloServer<GatewayContext> {
  return new ApolloServer<GatewayContext>({
    typeDefs: readFileSync(schemaPath, 'utf8'),
    resolvers,
    formatError: formatErrorWith(log),
    introspection: options.introspection,
    // Suggestions name fields and types a client did not ask for: the schema, piece by piece.
    hideSchemaDetailsFromClientErrors: !options.introspection,
    parseOptions: { maxTokens },
    validationRules: [depthLimitRule(options.maxDepth), aliasLimitRule(options.maxAliases)],
    // Stack traces name files and dependencies; clients get the code and message only, the log keeps the rest.
    includeStacktraceInErrorResponses: false,
    // Lifecycle owns SIGINT/SIGTERM; Apollo's own handler re-raises the signal, killing the process before storage closes.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // No cache hints in this schema: Apollo's cache-control plugin would only add a hook to every
      // field (about 3 % of a 50-row page's CPU) to compute "no-store", which the HTTP handler sets.
      ApolloServerPluginCacheControlDisabled(),
      limitsPlugin({ maxComplexity: options.maxComplexity, requestTimeoutMs: options.requestTimeoutMs }),
      graphqlMetrics(registry).plugin,
      // Last: it answers from the cache only after the limits plugin has checked the operation.
      ...extraPlugins,
    ],
  })
}
