import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildSchema, parse, validate } from 'graphql'
import { describe, expect, it } from 'vitest'
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
        'updatePolicy',
      ].sort(),
    )
  })

  it.each(documents)('%s is valid against schema.graphql', (_name, source) => {
    const errors = validate(schema, parse(source))
    expect(errors.map((e) => e.message)).toEqual([])
  })
})
