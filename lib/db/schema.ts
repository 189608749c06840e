/**
 * The one storage schema (drizzle, PostgreSQL dialect) shared by PGlite and node-postgres.
 * `npm run db:generate` turns changes here into SQL under `migrations/`; never edit applied SQL.
 *
 * Units: times are timestamptz (UTC), latencies milliseconds, costs in the policy's currency
 * units (per-1k-token prices come from the line's policy), tokens are vision tokens N = g².
 */
import { type SQL, sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'

/** Who settled an inspection's final verdict; higher rank wins when writes race (human > cloud > edge). */
export const decidedByValues = ['edge', 'cloud', 'human'] as const
export type DecidedBy = (typeof decidedByValues)[number]

export const modelRoleValues = ['edge', 'cloud'] as const
export type ModelRole = (typeof modelRoleValues)[number]

export const dispositionValues = ['accepted', 'escalated', 'held'] as const
export type Disposition = (typeof dispositionValues)[number]

export const apiKeyRoleValues = ['viewer', 'operator', 'admin'] as const
export type ApiKeyRole = (typeof apiKeyRoleValues)[number]

export const costTierValues = ['edge', 'cloud'] as const
export type CostTier = (typeof costTierValues)[number]

/** Class label → probability (sums to 1). */
export type Probabilities = Record<string, number>

/** PostgreSQL `bytea`: node-postgres hands back a Buffer, PGlite a Uint8Array; both become a Buffer. */
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => value,
  fromDriver: (value) =>
    Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength),
})

const createdAt = () =>
  timestamp('created_at', { withTimezone: true })
    .notNull()
    .$defaultFn(() => new Date())

export const plants = pgTable('plants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: createdAt(),
})

export const lines = pgTable(
  'lines',
  {
    id: text('id').primaryKey(),
    plantId: text('plant_id')
      .notNull()
      .references(() => plants.id),
    name: text('name').notNull(),
    /** Base URL of the edge node serving the line (the gateway forwards submitted images there). */
    edgeUrl: text('edge_url'),
    createdAt: createdAt(),
  },
  (t) => [index('lines_plant_idx').on(t.plantId)],
)

export const models = pgTable('models', {
  name: text('name').primaryKey(),
  role: text('role', { enum: modelRoleValues }).notNull(),
  sha256: text('sha256').notNull(),
  labels: jsonb('labels').$type<string[]>().notNull(),
  patchSize: integer('patch_size').notNull(),
  budgets: jsonb('budgets').$type<number[]>().notNull(),
  /** The whole validated `tokenline.model-manifest.v1` document. */
  manifest: jsonb('manifest').$type<Record<string, unknown>>().notNull(),
  registeredAt: timestamp('registered_at', { withTimezone: true })
    .notNull()
    .$defaultFn(() => new Date()),
  updatedAt: timestamp('updated_at', { withTimezone: true })
    .notNull()
    .$defaultFn(() => new Date()),
})

/** Every change to a line's policy is a new row; the current policy is the highest version. */
export const policies = pgTable(
  'policies',
  {
    lineId: text('line_id')
      .notNull()
      .references(() => lines.id),
    version: integer('version').notNull(),
    author: text('author').notNull(),
    reason: text('reason').notNull(),
    body: jsonb('body').$type<Record<string, unknown>>().notNull(),
    /** Set when this version restores an earlier one. */
    rolledBackTo: integer('rolled_back_to'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.lineId, t.version] })],
)

export const inspections = pgTable(
  'inspections',
  {
    id: uuid('id').primaryKey(),
    lineId: text('line_id')
      .notNull()
      .references(() => lines.id),
    plantId: text('plant_id')
      .notNull()
      .references(() => plants.id),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    question: text('question'),
    policyVersion: integer('policy_version'),

    edgeLabel: text('edge_label'),
    edgeProbabilities: jsonb('edge_probabilities').$type<Probabilities>(),
    edgeBudget: integer('edge_budget'),
    edgeTokens: integer('edge_tokens'),
    edgeModel: text('edge_model'),
    edgeLatencyMs: doublePrecision('edge_latency_ms'),
    edgeCost: doublePrecision('edge_cost'),

    cloudLabel: text('cloud_label'),
    cloudProbabilities: jsonb('cloud_probabilities').$type<Probabilities>(),
    cloudBudget: integer('cloud_budget'),
    cloudTokens: integer('cloud_tokens'),
    cloudModel: text('cloud_model'),
    cloudLatencyMs: doublePrecision('cloud_latency_ms'),
    cloudCost: doublePrecision('cloud_cost'),
    /** Cloud models with a question: probability that the answer is "yes". */
    cloudAnswer: doublePrecision('cloud_answer'),

    verdict: text('verdict'),
    decidedBy: text('decided_by', { enum: decidedByValues }),
    escalated: boolean('escalated').notNull().default(false),
    /** accepted | escalated | held, as the edge disposed of the case (results v1). */
    disposition: text('disposition', { enum: dispositionValues }),
    /** Why the edge asked for the cloud (confidence, margin, entropy, always-escalate, audit). */
    escalationReason: text('escalation_reason'),
    /** Budgets the edge tried, in order. */
    ladder: jsonb('ladder').$type<number[]>(),
    edgeConfidence: doublePrecision('edge_confidence'),
    /** The cloud answered after the policy's deadline. */
    cloudLate: boolean('cloud_late'),
    /** Ingest to final verdict (ms). */
    latencyMs: doublePrecision('latency_ms'),
    /**
     * The latest review (by createdAt, then id) of this inspection, kept by a trigger on `reviews`
     * (migration 0006) so the hourly rollups see a review as a change of the inspection row.
     */
    reviewLabel: text('review_label'),
    reviewAt: timestamp('review_at', { withTimezone: true }),
    reviewId: uuid('review_id'),
    updatedAt: timestamp('updated_at', { withTimezone: true })
      .notNull()
      .$defaultFn(() => new Date()),
  },
  (t) => [
    index('inspections_line_time_idx').on(t.lineId, t.receivedAt.desc(), t.id.desc()),
    index('inspections_plant_time_idx').on(t.plantId, t.receivedAt.desc(), t.id.desc()),
    index('inspections_time_idx').on(t.receivedAt.desc(), t.id.desc()),
    index('inspections_verdict_time_idx').on(t.verdict, t.receivedAt.desc(), t.id.desc()),
    index('inspections_decided_by_time_idx').on(t.decidedBy, t.receivedAt.desc(), t.id.desc()),
    index('inspections_escalated_time_idx').on(t.lineId, t.receivedAt.desc()).where(sql`${t.escalated}`),
    // Filter pairs the API offers that a single-column index serves badly (a rare value deep in time order).
    index('inspections_line_verdict_time_idx').on(t.lineId, t.verdict, t.receivedAt.desc(), t.id.desc()),
    index('inspections_line_decided_by_time_idx').on(t.lineId, t.decidedBy, t.receivedAt.desc(), t.id.desc()),
    index('inspections_plant_verdict_time_idx').on(t.plantId, t.verdict, t.receivedAt.desc(), t.id.desc()),
    index('inspections_decided_by_verdict_time_idx').on(
      t.decidedBy,
      t.verdict,
      t.receivedAt.desc(),
      t.id.desc(),
    ),
    index('inspections_escalated_all_time_idx')
      .on(t.receivedAt.desc(), t.id.desc())
      .where(sql`${t.escalated}`),
    // The review queue's candidates (held and undecided, cloud and edge disagreeing, audits): a few
    // per cent of the rows, read oldest first; the predicate is the one reviews.queue() filters on.
    index('inspections_review_queue_idx').on(t.lineId, t.receivedAt, t.id).where(reviewCandidate(t)),
    index('inspections_review_queue_all_idx').on(t.receivedAt, t.id).where(reviewCandidate(t)),
  ],
)

/** An inspection a person should look at (before any review of it); see ReviewsRepository.queue. */
export function reviewCandidate(t: {
  disposition: AnyPgColumn
  verdict: AnyPgColumn
  escalated: AnyPgColumn
  cloudLabel: AnyPgColumn
  edgeLabel: AnyPgColumn
  escalationReason: AnyPgColumn
}): SQL {
  return sql`((${t.disposition} = 'held' and ${t.verdict} is null)
      or (${t.escalated} and ${t.cloudLabel} is distinct from ${t.edgeLabel}
          and ${t.cloudLabel} is not null and ${t.edgeLabel} is not null)
      or ${t.escalationReason} = 'audit')`
}

export const reviews = pgTable(
  'reviews',
  {
    id: uuid('id').primaryKey(),
    inspectionId: uuid('inspection_id')
      .notNull()
      .references(() => inspections.id),
    label: text('label').notNull(),
    reviewer: text('reviewer').notNull(),
    note: text('note'),
    createdAt: createdAt(),
  },
  (t) => [index('reviews_inspection_idx').on(t.inspectionId, t.createdAt)],
)

/** One scaling report (`tokenline.scaling-report.v1`); `id` is the sha256 of its canonical JSON. */
export const scalingReports = pgTable(
  'scaling_reports',
  {
    id: text('id').primaryKey(),
    model: text('model').notNull(),
    modelSha256: text('model_sha256').notNull(),
    datasetPath: text('dataset_path').notNull(),
    datasetCount: integer('dataset_count').notNull(),
    datasetDescription: text('dataset_description'),
    question: text('question'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    command: text('command').notNull(),
    /** `{ overall, perClass, perClassRecall? }` of {c, alpha, r2, alphaInterval?} as in the report. */
    fits: jsonb('fits')
      .$type<{
        overall: PowerLawFit
        perClass: Record<string, PowerLawFit>
        perClassRecall?: Record<string, PowerLawFit>
      }>()
      .notNull(),
    importedAt: timestamp('imported_at', { withTimezone: true })
      .notNull()
      .$defaultFn(() => new Date()),
  },
  (t) => [index('scaling_reports_model_idx').on(t.model, t.createdAt.desc())],
)

export type PowerLawFit = { c: number; alpha: number; r2: number | null; alphaInterval?: [number, number] }
export type PointClassMetrics = Record<string, { recall: number; error: number; count: number }>

export const scalingPoints = pgTable(
  'scaling_points',
  {
    reportId: text('report_id')
      .notNull()
      .references(() => scalingReports.id, { onDelete: 'cascade' }),
    budget: integer('budget').notNull(),
    accuracy: doublePrecision('accuracy').notNull(),
    error: doublePrecision('error').notNull(),
    ece: doublePrecision('ece').notNull(),
    latencyMsPerImage: doublePrecision('latency_ms_per_image').notNull(),
    tokensPerImage: integer('tokens_per_image').notNull(),
    perClass: jsonb('per_class').$type<PointClassMetrics>().notNull(),
    answerAccuracy: doublePrecision('answer_accuracy'),
    visionAnswerAccuracy: doublePrecision('vision_answer_accuracy'),
    visionPosteriorAnswerAccuracy: doublePrecision('vision_posterior_answer_accuracy'),
  },
  (t) => [primaryKey({ columns: [t.reportId, t.budget] })],
)

/** A small image of what the cloud saw for an escalated inspection (from the escalation record). */
export const inspectionImages = pgTable('inspection_images', {
  inspectionId: uuid('inspection_id').primaryKey(),
  /** e.g. image/png */
  mime: text('mime').notNull(),
  bytes: bytea('bytes').notNull(),
  createdAt: createdAt(),
})

/**
 * API keys of the gateway. Only the sha256 of the secret is stored; `prefix` (first characters of
 * the secret) tells keys apart in lists. `plantIds` empty with `allPlants` false sees nothing.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    role: text('role', { enum: apiKeyRoleValues }).notNull(),
    allPlants: boolean('all_plants').notNull().default(false),
    plantIds: jsonb('plant_ids').$type<string[]>().notNull(),
    prefix: text('prefix').notNull(),
    /** hex sha256 of the whole secret. */
    secretHash: text('secret_hash').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_keys_secret_hash_idx').on(t.secretHash)],
)

/**
 * Hourly rollups of each line's inspections and cost ledger, one row per (line, UTC hour, key),
 * kept by statement-level triggers on `inspections`, `reviews` and `cost_ledger` (migration 0006,
 * which also backfilled them), so lineStats reads whole hours here instead of every row.
 * An inspection counts once under each key its current state has (see `tokenline_rollup_keys`):
 * an update moves it from the old keys to the new ones, the same write twice changes nothing.
 *
 * key          n
 * inspections, pending, held, escalated, audited, esc_total, esc_agree, audit_total, audit_agree,
 * est_total, est_correct, rev_total, rev_correct          inspections (see LineWindowStats)
 * verdict:<label>, decided:<edge|cloud|human>              inspections
 * lat:<b>, edge_lat:<b>, cloud_lat:<b>                     inspections whose latency (ms) falls in
 *   bucket b: 0 = [0, 1) ms, b ≥ 1 = [2^((b−1)/8), 2^(b/8)) ms (8 per octave, each 9.05 % wide),
 *   b = 288 also holds everything from 2^36 ms (≈ 2.2 years) up; see lib/db/latency-histogram.ts
 * ledger:<edge|cloud>                                      tokens; `cost` = their cost
 */
export const lineHourRollups = pgTable(
  'line_hour_rollups',
  {
    lineId: text('line_id').notNull(),
    /** Start of the UTC clock hour. */
    hour: timestamp('hour', { withTimezone: true }).notNull(),
    key: text('key').notNull(),
    n: bigint('n', { mode: 'number' }).notNull().default(0),
    cost: doublePrecision('cost').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.lineId, t.hour, t.key] })],
)

/**
 * The same rollups per 5-minute slot (UTC, from the epoch), kept by the same triggers: lineStats
 * reads the slots of a window's partial first and last hours from here, and only the rows of its
 * partial first and last 5 minutes from `inspections` and `cost_ledger`.
 */
export const lineSlotRollups = pgTable(
  'line_slot_rollups',
  {
    lineId: text('line_id').notNull(),
    /** Start of the 5-minute slot. */
    slot: timestamp('slot', { withTimezone: true }).notNull(),
    key: text('key').notNull(),
    n: bigint('n', { mode: 'number' }).notNull().default(0),
    cost: doublePrecision('cost').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.lineId, t.slot, t.key] })],
)

/** Tokens spent and what they cost, one row per inspection and tier (idempotent on that pair). */
export const costLedger = pgTable(
  'cost_ledger',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    lineId: text('line_id')
      .notNull()
      .references(() => lines.id),
    inspectionId: uuid('inspection_id').notNull(),
    tier: text('tier', { enum: costTierValues }).notNull(),
    tokens: integer('tokens').notNull(),
    cost: doublePrecision('cost').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('cost_ledger_inspection_tier_idx').on(t.inspectionId, t.tier),
    index('cost_ledger_line_time_idx').on(t.lineId, t.at.desc()),
  ],
)

/**
 * An edge node's own record of each inspection it accepted (the edge's local database, one per
 * node: embedded PGlite under `<data>/edge-<node>` or the node's PostgreSQL). Written in the same
 * transaction as its outbox rows, so a provisional result and its escalation exist together or
 * not at all.
 *
 * status  accepted   the edge verdict is final
 *         pending    escalated, waiting for the cloud verdict (the edge verdict is provisional)
 *         settled    the cloud verdict arrived (final label = the cloud's)
 *         held       a person decides (policy said hold: egress none, cloud cap, or past deadline)
 *         fallback   past the deadline: the policy's `pastDeadline: edge-verdict` made the edge verdict final
 */
export const edgeInspectionStatusValues = ['accepted', 'pending', 'settled', 'held', 'fallback'] as const
export type EdgeInspectionStatus = (typeof edgeInspectionStatusValues)[number]

export const edgeInspections = pgTable(
  'edge_inspections',
  {
    id: uuid('id').primaryKey(),
    nodeId: text('node_id').notNull(),
    plantId: text('plant_id').notNull(),
    lineId: text('line_id').notNull(),
    /** http, folder or demo. */
    source: text('source').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }).notNull(),
    question: text('question'),
    policyVersion: integer('policy_version').notNull(),
    status: text('status', { enum: edgeInspectionStatusValues }).notNull(),
    disposition: text('disposition').notNull(),
    escalationReason: text('escalation_reason'),
    /** The decision record: rule, values, thresholds, rungs (see lib/policy `Decision`). */
    decision: jsonb('decision').$type<Record<string, unknown>>().notNull(),
    edgeLabel: text('edge_label').notNull(),
    edgeConfidence: doublePrecision('edge_confidence').notNull(),
    edgeProbabilities: jsonb('edge_probabilities').$type<Probabilities>().notNull(),
    /** Budgets tried, in order; edge tokens spent = their sum. */
    ladder: jsonb('ladder').$type<number[]>().notNull(),
    edgeLatencyMs: doublePrecision('edge_latency_ms').notNull(),
    /** When the cloud answer stops being useful; null when not escalated or no deadline. */
    deadlineAt: timestamp('deadline_at', { withTimezone: true }),
    cloudLabel: text('cloud_label'),
    cloudProbabilities: jsonb('cloud_probabilities').$type<Probabilities>(),
    cloudAnswer: doublePrecision('cloud_answer'),
    finalLabel: text('final_label'),
    settledAt: timestamp('settled_at', { withTimezone: true }),
    /** Kept image (for on-site review and region egress), deleted after the retention period. */
    imagePath: text('image_path'),
  },
  (t) => [
    index('edge_inspections_line_time_idx').on(t.lineId, t.receivedAt.desc()),
    index('edge_inspections_pending_deadline_idx').on(t.deadlineAt).where(sql`${t.status} = 'pending'`),
    index('edge_inspections_image_time_idx').on(t.receivedAt).where(sql`${t.imagePath} is not null`),
  ],
)

/**
 * Transactional outbox of an edge node: Kafka records written with their inspection, published
 * by the relay, marked sent only after the broker acknowledged them.
 * `value`/`headers` are the record as the contract encoded it; the relay decodes it again on the
 * way out, so a row that no longer passes its contract is reported instead of published.
 */
export const edgeOutbox = pgTable(
  'edge_outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    inspectionId: uuid('inspection_id').notNull(),
    topic: text('topic').notNull(),
    key: text('key').notNull(),
    value: bytea('value').notNull(),
    headers: jsonb('headers').$type<Record<string, string>>().notNull(),
    createdAt: createdAt(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    lastError: text('last_error'),
  },
  (t) => [
    uniqueIndex('edge_outbox_inspection_topic_idx').on(t.inspectionId, t.topic),
    index('edge_outbox_unsent_idx').on(t.nextAttemptAt, t.id).where(sql`${t.sentAt} is null`),
  ],
)
