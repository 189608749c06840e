import type { DocumentNode, GraphQLSchema } from 'graphql'
import { getComplexity } from 'graphql-query-complexity'

/** Items a list field without `first` is assumed to return (plants, lines, reports, probabilities …). */
export const assumedListSize = 10
/** Field nodes the estimate walks before giving up (fragments spread many times). */
export const maxEstimatedNodes = 10_000

/**
 * Cost of an operation, estimated from its text before it runs: every field costs 1, and a list
 * multiplies what is asked of each item by `first` (paginated fields and connections, whose
 * `edges` then count once) or by `assumedListSize`.
 * `totalCount(atMost)` counts up to `atMost` rows: 1 per 1,000. Introspection costs nothing here:
 * the schema bounds it, and GATEWAY_INTROSPECTION turns it off.
 *
 * Returns Infinity for a document past `maxEstimatedNodes` field nodes, and undefined when the
 * variables do not fit their types (execution reports that, before any resolver runs).
 */
export function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown>,
  operationName: string | undefined,
): number | undefined {
  let nodes = 0
  try {
    return getComplexity({
      schema,
      query: document,
      variables,
      ...(operationName ? { operationName } : {}),
      // Counted below instead, to tell "too big" from "bad variables" (both are thrown).
      maxQueryNodes: Number.POSITIVE_INFINITY,
      estimators: [
        ({ type, field, args, childComplexity }) => {
          if (++nodes > maxEstimatedNodes) throw new TooManyNodes()
          if (type.name.startsWith('__') || field.name.startsWith('__')) return 0
          if (field.name === 'totalCount' && typeof args.atMost === 'number') {
            return 1 + Math.ceil(args.atMost / 1000)
          }
          // A connection's `first` already counted its edges.
          if (field.name === 'edges' && type.name.endsWith('Connection')) return 1 + childComplexity
          if (typeof args.first === 'number') return 1 + childComplexity * listSize(args)
          // By the type's text, not isListType: Apollo's schema may come from the other graphql build (CJS/ESM).
          return String(field.type).replace(/!$/, '').startsWith('[')
            ? 1 + childComplexity * listSize(args)
            : 1 + childComplexity
        },
      ],
    })
  } catch (err) {
    if (err instanceof TooManyNodes) return Number.POSITIVE_INFINITY
    return undefined
  }
}

class TooManyNodes extends Error {}

function listSize(args: Record<string, unknown>): number {
  const first = args.first
  return typeof first === 'number' && Number.isFinite(first) && first > 0 ? first : assumedListSize
}
