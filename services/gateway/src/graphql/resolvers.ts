import { catalogQueries, Line, Plant } from './catalog.resolvers.ts'
import { dateTimeScalar } from './date-time.scalar.ts'
import { Inspection, InspectionConnection, inspectionQueries } from './inspection.resolvers.ts'
import { Model, modelQueries, ScalingPoint, ScalingReport } from './model.resolvers.ts'
import { replayQueries } from './replay.resolvers.ts'
import type { Resolvers } from './resolvers.generated.ts'

/** Every resolver of schema.graphql; fields absent here resolve to the mapped row's property of the same name. */
export const resolvers: Resolvers = {
  DateTime: dateTimeScalar,
  Query: { ...catalogQueries, ...inspectionQueries, ...modelQueries, ...replayQueries },
  Plant,
  Line,
  Inspection,
  InspectionConnection,
  Model,
  ScalingReport,
  ScalingPoint,
}
