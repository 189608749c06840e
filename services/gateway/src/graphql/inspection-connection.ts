import type { InspectionFilter, InspectionRow, Page } from '../../../../lib/db/index.ts'

/** What `Query.inspections` hands to the connection's field resolvers (totalCount is counted only when asked). */
export type InspectionConnectionSource = {
  filter: InspectionFilter
  page: Page<InspectionRow>
  /** Counts a connection that is not a plain filter (the review queue); default: count `filter`. */
  count?: () => Promise<number>
}
