import type { ApolloServerPlugin } from '@apollo/server'
import { GraphQLError } from 'graphql'
import { GatewayError } from '../../errors.ts'
import type { GatewayContext } from '../context.ts'
import { estimateCost, maxEstimatedNodes } from './complexity.ts'
import { Deadline } from './deadline.ts'

export type LimitsOptions = {
  /** Highest estimated cost of an operation (see fieldCostEstimator). */
  maxComplexity: number
  /** A request's time limit (ms). */
  requestTimeoutMs: number
}

/**
 * Checks what validation cannot: the operation's cost with its variables (GATEWAY_QUERY_TOO_COMPLEX),
 * and no subscriptions over HTTP; both before anything executes. Then stops every field that would
 * start after the request's deadline (GATEWAY_REQUEST_TIMEOUT). Depth and aliases are validation
 * rules (depth-limit.rule.ts, alias-limit.rule.ts).
 */
export function limitsPlugin(options: LimitsOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      // The HTTP route sets the deadline it enforces; a request from elsewhere (executeOperation) gets its own.
      contextValue.deadline ??= new Deadline(options.requestTimeoutMs)
      return {
        async didResolveOperation({ request, document, schema, operation }) {
          if (operation?.operation === 'subscription') {
            throw refusal(
              new GatewayError(
                'GATEWAY_OPERATION_UNSUPPORTED',
                'subscriptions are served over WebSocket at /graphql (graphql-ws), not over HTTP',
              ),
            )
          }
          const cost = estimateCost(schema, document, request.variables ?? {}, request.operationName)
          if (cost === undefined) return
          if (cost > options.maxComplexity) {
            throw refusal(
              new GatewayError(
                'GATEWAY_QUERY_TOO_COMPLEX',
                `expected an operation costing at most ${options.maxComplexity} (GATEWAY_MAX_COMPLEXITY); this one costs ${Number.isFinite(cost) ? cost : `more (over ${maxEstimatedNodes} fields)`}: ask for fewer fields or smaller pages`,
              ),
            )
          }
        },
        async executionDidStart() {
          return {
            willResolveField({ contextValue: ctx }) {
              ctx.deadline?.check()
            },
          }
        },
      }
    },
  }
}

/** A request-level error (HTTP 400) that formatError maps by the gateway code it carries. */
function refusal(error: GatewayError): GraphQLError {
  return new GraphQLError(error.message, { originalError: error, extensions: { http: { status: 400 } } })
}
