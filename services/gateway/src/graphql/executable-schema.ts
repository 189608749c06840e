import {
  buildSchema,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  isObjectType,
  isScalarType,
} from 'graphql/index.js' // the instance graphql-ws loads: see ws.ts

type FieldResolver = GraphQLFieldResolver<unknown, unknown>
type SubscriptionField = { subscribe: FieldResolver; resolve?: FieldResolver }

/**
 * schema.graphql with the gateway's resolvers attached, for graphql-ws (Apollo builds its own
 * from the same typeDefs and resolvers). A few lines instead of a direct dependency on
 * @graphql-tools/schema: the schema has object types and one custom scalar, no interfaces or
 * unions, and its enums' values are their names.
 */
export function executableSchema(typeDefs: string, resolvers: Record<string, unknown>): GraphQLSchema {
  const schema = buildSchema(typeDefs)
  for (const [typeName, typeResolvers] of Object.entries(resolvers)) {
    const type = schema.getType(typeName)
    if (isScalarType(type)) {
      const custom = typeResolvers as Pick<typeof type, 'serialize' | 'parseValue' | 'parseLiteral'>
      type.serialize = custom.serialize
      type.parseValue = custom.parseValue
      type.parseLiteral = custom.parseLiteral
      continue
    }
    if (!isObjectType(type))
      throw new Error(`resolvers name ${typeName}, which schema.graphql has no object type for`)
    const fields = type.getFields()
    for (const [fieldName, resolver] of Object.entries(typeResolvers as Record<string, unknown>)) {
      const field = fields[fieldName]
      if (!field) throw new Error(`resolvers name ${typeName}.${fieldName}, which schema.graphql lacks`)
      if (typeof resolver === 'function') {
        field.resolve = resolver as FieldResolver
      } else {
        const { subscribe, resolve } = resolver as SubscriptionField
        field.subscribe = subscribe
        if (resolve) field.resolve = resolve
      }
    }
  }
  return schema
}
