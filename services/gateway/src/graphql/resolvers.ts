import { adminMutations } from './admin.resolvers.ts'
import { apiKeyMutations, apiKeyQueries } from './api-key.resolvers.ts'
import { catalogQueries, Line, Plant } from './catalog.resolvers.ts'
import { dateTimeScalar } from './date-time.scalar.ts'
import { Inspection, InspectionConnection, inspectionQueries } from './inspection.resolvers.ts'
import { Model, modelQueries, ScalingPoint, ScalingReport } from './model.resolvers.ts'
import { policyMutations, policyQueries } from './policy.resolvers.ts'
import type { Resolvers } from './resolvers.generated.ts'
import { Subscription } from './subscription.resolvers.ts'

/** Every resolver of schema.graphql; fields absent here resolve to the mapped row's property of the same name. */
export const resolvers: Resolvers = {
  DateTime: dateTimeScalar,
  Query: { ...catalogQueries, ...inspectionQueries, ...modelQueries, ...apiKeyQueries, ...policyQueries },
  Mutation: { ...adminMutations, ...policyMutations, ...apiKeyMutations },
  Subscription,
  Plant,
  Line,
  Inspection,
  InspectionConnection,
  Model,
  ScalingReport,
  ScalingPoint,
}
