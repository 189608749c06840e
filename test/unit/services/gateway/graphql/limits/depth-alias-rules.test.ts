import { readFileSync } from 'node:fs'
import { buildSchema, parse, specifiedRules, validate } from 'graphql'
import { describe, expect, it } from 'vitest'
import { aliasLimitRule } from '../../../../../../services/gateway/src/graphql/limits/alias-limit.rule.ts'
import { depthLimitRule } from '../../../../../../services/gateway/src/graphql/limits/depth-limit.rule.ts'

const schema = buildSchema(readFileSync(new URL('../../../../../../schema.graphql', import.meta.url), 'utf8'))

/** The gateway codes of the errors `rules` report for `query` (graphql's own rules run too). */
function codes(query: string, maxDepth = 4, maxAliases = 3): (string | undefined)[] {
  return validate(schema, parse(query), [depthLimitRule(maxDepth), aliasLimitRule(maxAliases)]).map(
    (e) => (e.originalError as { code?: string } | undefined)?.code,
  )
}

describe('depth and alias validation rules', () => {
  it('counts nesting through fragments and inline fragments, not introspection', () => {
    expect(codes('{ plants { lines { plant { id } } } }')).toEqual([])
    expect(codes('{ plants { lines { plant { lines { id } } } } }')).toEqual(['GATEWAY_QUERY_TOO_DEEP'])
    expect(
      codes('{ plants { ...P } } fragment P on Plant { lines { ... on Line { plant { lines { id } } } } }'),
    ).toEqual(['GATEWAY_QUERY_TOO_DEEP'])
    expect(codes('{ __schema { types { fields { type { ofType { ofType { name } } } } } } }')).toEqual([])
  })

  it('survives fragment cycles and fragments spread many times (graphql reports the cycle)', () => {
    const cyclic = validate(
      schema,
      parse('{ plants { ...A } } fragment A on Plant { lines { plant { ...A } } }'),
      [...specifiedRules, depthLimitRule(4)],
    )
    expect(cyclic.map((e) => e.message).join('\n')).toMatch(/Cannot spread fragment "A" within itself/)
    const fanOut = `{ plants { ...A } } ${Array.from({ length: 20 }, (_, i) => `fragment ${String.fromCharCode(65 + i)} on Plant { id ${i < 19 ? `...${String.fromCharCode(66 + i)} `.repeat(2) : ''}}`).join(' ')}`
    expect(codes(fanOut)).toEqual([])
  })

  it('counts aliases in the whole document', () => {
    expect(codes('{ a: plants { id } b: plants { id } c: lines { id } }')).toEqual([])
    expect(codes('{ a: plants { x: id } b: plants { id } c: lines { id } }')).toEqual([
      'GATEWAY_TOO_MANY_ALIASES',
    ])
  })
})
