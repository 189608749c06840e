import {
  type ASTNode,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql'
import { GatewayError } from '../../errors.ts'

/**
 * Refuses an operation whose fields nest deeper than `maxDepth` (GATEWAY_QUERY_TOO_DEEP), before
 * anything runs: `plants { lines { plant { lines … } } }` is 4 deep. Fragments count where they
 * are spread; introspection fields (`__schema`, `__type`) do not count, the schema bounds them.
 * The walk stops as soon as the limit is passed and measures each fragment once, so a forged
 * document costs time linear in its size.
 */
export function depthLimitRule(maxDepth: number): ValidationRule {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>()
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
    }
    const fragmentDepth = new Map<string, number>()
    const measuring = new Set<string>()

    const depthOf = (selectionSet: SelectionSetNode, budget: number): number => {
      let deepest = 0
      for (const selection of selectionSet.selections) {
        let depth = 0
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue
          depth = 1 + (selection.selectionSet ? depthOf(selection.selectionSet, budget - 1) : 0)
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          depth = depthOf(selection.selectionSet, budget)
        } else {
          depth = spreadDepth(selection.name.value, budget)
        }
        deepest = Math.max(deepest, depth)
        if (deepest > budget) break
      }
      return deepest
    }

    const spreadDepth = (name: string, budget: number): number => {
      const known = fragmentDepth.get(name)
      if (known !== undefined) return known
      const fragment = fragments.get(name)
      // Unknown fragments and cycles are reported by graphql's own rules (NoFragmentCycles, KnownFragmentNames).
      if (!fragment || measuring.has(name)) return 0
      measuring.add(name)
      const depth = depthOf(fragment.selectionSet, budget)
      measuring.delete(name)
      // A walk cut short at the budget gives a lower bound: enough to refuse, not to remember.
      if (depth <= budget) fragmentDepth.set(name, depth)
      return depth
    }

    return {
      OperationDefinition(operation) {
        const depth = depthOf(operation.selectionSet, maxDepth)
        if (depth > maxDepth) {
          const name = operation.name ? ` ${operation.name.value}` : ''
          context.reportError(
            limitError(
              new GatewayError(
                'GATEWAY_QUERY_TOO_DEEP',
                `expected fields nested at most ${maxDepth} deep (GATEWAY_MAX_DEPTH); operation${name} nests deeper`,
              ),
              operation,
            ),
          )
        }
        return false
      },
    }
  }
}

/** A validation error that carries a gateway code: Apollo keeps it as originalError, formatError maps it. */
export function limitError(error: GatewayError, node: ASTNode): GraphQLError {
  return new GraphQLError(error.message, { nodes: [node], originalError: error })
}
