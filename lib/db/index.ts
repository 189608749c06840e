export type { Database } from './database.ts'
export { DbError, type DbErrorCode, dbErrorCodes } from './errors.ts'
export type { ApiKeyRow, ApiKeyWrite } from './repositories/api-keys.repository.ts'
export type { CostTotals } from './repositories/cost-ledger.repository.ts'
export type {
  CloudSettlement,
  EdgeInspectionRow,
  EdgeInspectionWrite,
} from './repositories/edge-inspections.repository.ts'
export type { OutboxDepth, OutboxRow, OutboxWrite } from './repositories/edge-outbox.repository.ts'
export type { InspectionImageRow } from './repositories/inspection-images.repository.ts'
export type {
  HourRow,
  LineWindowStats,
  PercentileTriple,
  Tally,
} from './repositories/inspection-stats.repository.ts'
export {
  type InspectionFilter,
  type InspectionRow,
  type InspectionWrite,
  inspectionCursor,
  MAX_COUNT,
  MAX_PAGE_SIZE,
  type ModelResultWrite,
  type Page,
} from './repositories/inspections.repository.ts'
export type { LineRow } from './repositories/lines.repository.ts'
export type { ModelRow } from './repositories/models.repository.ts'
export type { PlantRow } from './repositories/plants.repository.ts'
export type { PolicyChange, PolicyRow } from './repositories/policies.repository.ts'
export type { ReviewQueueFilter, ReviewRow, ReviewWrite } from './repositories/reviews.repository.ts'
export {
  type ScalingPointRow,
  type ScalingReportRow,
  type StoredScalingReport,
  scalingReportId,
} from './repositories/scaling-reports.repository.ts'
export {
  type ApiKeyRole,
  apiKeyRoleValues,
  type CostTier,
  costTierValues,
  type DecidedBy,
  type Disposition,
  decidedByValues,
  dispositionValues,
  type EdgeInspectionStatus,
  edgeInspectionStatusValues,
  type ModelRole,
  modelRoleValues,
  type Probabilities,
} from './schema.ts'
export {
  type OpenStorageOptions,
  openStorage,
  type Repositories,
  type Storage,
  type StorageTarget,
  storageTarget,
} from './storage.ts'
