import { GraphQLError, GraphQLScalarType, Kind } from 'graphql'

const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/

function parse(value: unknown): Date {
  const date = typeof value === 'string' && isoPattern.test(value) ? new Date(value) : undefined
  if (!date || Number.isNaN(date.getTime())) {
    throw new GraphQLError(
      `expected an ISO-8601 date-time with zone such as 2026-11-26T18:00:00Z for DateTime; received ${JSON.stringify(value)}`,
      { extensions: { code: 'BAD_USER_INPUT' } },
    )
  }
  return date
}

/** DateTime: ISO-8601 strings on the wire (UTC, milliseconds), JS Dates inside. */
export const dateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize: (value) => {
    const date = value instanceof Date ? value : parse(value)
    return date.toISOString()
  },
  parseValue: parse,
  parseLiteral: (ast) => parse(ast.kind === Kind.STRING ? ast.value : undefined),
})
