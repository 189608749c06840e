import { adminMutations } from './admin.resolvers.ts'
import { apiKeyMutations, apiKeyQueries } from './api-key.resolvers.ts'
import { catalogQueries, Line, Plant } from './catalog.resolvers.ts'
import { dateTimeScalar } from './date-time.scalar.ts'
import { Inspection, InspectionConnection, inspectionQueries } from './inspection.resolvers.ts'
import { inspectionResultFields } from './inspection-result.resolvers.ts'
import { Model, modelQueries, ScalingPoint, ScalingReport } from './model.resolvers.ts'
import { policyMutations, policyQueries } from './policy.resolvers.ts'
import { replayQueries } from './replay.resolvers.ts'
import type { Resolvers } from './resolvers.generated.ts'
import { reviewMutations, reviewQueries } from './review.resolvers.ts'
import { statsQueries } from './stats.resolvers.ts'
import { Subscription } from './subscription.resolvers.ts'

/** Every resolver of schema.graphql; fields absent here resolve to the mapped row's property of the same name. */
export const resolvers: Resolvers = {
  DateTime: dateTimeScalar,
  Query: {
    ...catalogQueries,
    ...inspectionQueries,
    ...modelQueries,
    ...apiKeyQueries,
    ...policyQueries,
    ...statsQueries,
    ...reviewQueries,
    ...replayQueries,
  },
  Mutation: { ...adminMutations, ...policyMutations, ...apiKeyMutations, ...reviewMutations },
  Subscription,
  Plant,
  Line,
  Inspection: { ...Inspection, ...inspectionResultFields },
  InspectionConnection,
  Model,
  ScalingReport,
  ScalingPoint,
}
