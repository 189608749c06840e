import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildSchema, parse, validate } from 'graphql'
// biome-ignore lint/style/noRestrictedImports: the CommonJS build on purpose (see the cost test)
import * as cjs from 'graphql/index.js'
import { describe, expect, it } from 'vitest'
import { estimateCost } from '../../../../../services/gateway/src/graphql/limits/complexity.ts'
import * as operations from '../../../../../services/gateway/web/src/api/operations.ts'

const schema = buildSchema(readFileSync(join(import.meta.dirname, '../../../../../schema.graphql'), 'utf8'))

describe('the dashboard’s GraphQL documents', () => {
  const documents = Object.entries(operations)
  it('use every root field the views need', () => {
    const rootFields = new Set(
      documents.flatMap(([, source]) =>
        parse(source).definitions.flatMap((d) =>
          d.kind === 'OperationDefinition'
            ? d.selectionSet.selections.flatMap((s) => (s.kind === 'Field' ? [s.name.value] : []))
            : [],
        ),
      ),
    )
    expect([...rootFields].sort()).toEqual(
      [
        'inspectionDecided',
        'inspections',
        'line',
        'lineStats',
        'me',
        'models',
        'plants',
        'policy',
        'policyChanged',
        'policyFrontier',
        'policyHistory',
        'recommendPolicy',
        'recordReview',
        'replayPolicy',
        'reviewQueue',
        'rollbackPolicy',
        'scalingReports',
        'updatePolicy',
      ].sort(),
    )
  })

  it.each(documents)('%s is valid against schema.graphql', (_name, source) => {
    const errors = validate(schema, parse(source))
    expect(errors.map((e) => e.message)).toEqual([])
  })
  // The gateway refuses an operation whose estimated cost passes GATEWAY_MAX_COMPLEXITY (default
  // 20,000) before it runs: a dashboard query over it would fail for every user (it once did, for
  // models nested with their scaling reports). Variables at their largest page (first: 100).
  // graphql-query-complexity loads graphql's CommonJS build: the schema and document must come
  // from the same one (graphql/index.js), as they do in the gateway's WebSocket path.
  const cjsSchema = cjs.buildSchema(
    readFileSync(join(import.meta.dirname, '../../../../../schema.graphql'), 'utf8'),
  )
  // Documents whose variables are input objects (policy, review) are single objects: not estimated here.
  const estimable = documents.filter(([, source]) => !/\$\w+:\s*(PolicyInput|RecordReviewInput)/.test(source))
  it('estimates the list-heavy reads at least', () => {
    expect(estimable.map(([name]) => name)).toEqual(
      expect.arrayContaining(['modelsQuery', 'feedQuery', 'reviewQueueQuery', 'policyFrontierQuery']),
    )
  })
  it.each(estimable)('%s costs at most the default GATEWAY_MAX_COMPLEXITY', (_name, source) => {
    const document = cjs.parse(source)
    const variables = Object.fromEntries(
      document.definitions.flatMap((d) =>
        d.kind === 'OperationDefinition'
          ? (d.variableDefinitions ?? []).map((v) => [
              v.variable.name.value,
              v.variable.name.value === 'first' ? 100 : placeholder(String(cjs.print(v.type)), cjsSchema),
            ])
          : [],
      ),
    )
    const cost = estimateCost(cjsSchema, document, variables, undefined)
    expect(cost).toBeDefined()
    expect(cost).toBeLessThanOrEqual(20_000)
  })
})

/** A value of a variable's type good enough for the estimate (only `first` changes the cost). */
function placeholder(type: string, schema: cjs.GraphQLSchema): unknown {
  const bare = type.replace(/!$/, '')
  const named = schema.getType(bare)
  if (named && 'getValues' in named) return named.getValues()[0]?.name
  if (bare.startsWith('[')) return []
  if (bare === 'Int' || bare === 'Float') return 1
  if (bare === 'Boolean') return false
  if (bare === 'ID' || bare === 'String' || bare === 'DateTime') return '2026-01-01T00:00:00.000Z'
  return {}
}
