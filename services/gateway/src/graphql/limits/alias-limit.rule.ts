import type { DocumentNode, ValidationRule } from 'graphql'
import { GatewayError } from '../../errors.ts'
import { limitError } from './depth-limit.rule.ts'

/**
 * Refuses a document with more than `maxAliases` aliased fields (GATEWAY_TOO_MANY_ALIASES): a
 * thousand aliases of one list field ask for the same work a thousand times in a few kilobytes.
 */
export function aliasLimitRule(maxAliases: number): ValidationRule {
  return (context) => {
    let aliases = 0
    let reported = false
    return {
      Field(field) {
        if (!field.alias || reported) return
        aliases++
        if (aliases > maxAliases) {
          reported = true
          context.reportError(
            limitError(
              new GatewayError(
                'GATEWAY_TOO_MANY_ALIASES',
                `expected at most ${maxAliases} aliased fields (GATEWAY_MAX_ALIASES); the request has more`,
              ),
              context.getDocument() as DocumentNode,
            ),
          )
        }
      },
    }
  }
}
