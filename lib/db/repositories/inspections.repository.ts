import { and, count, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm'
import type { Database } from '../database.ts'
import { DbError } from '../errors.ts'
import { decodeCursor, encodeCursor } from '../internal/cursor.ts'
import {
  costLedger,
  type DecidedBy,
  type Disposition,
  inspections,
  lines,
  type Probabilities,
  plants,
} from '../schema.ts'

export type InspectionRow = typeof inspections.$inferSelect

/** One model's answer for an inspection; `cost` in the policy's currency units. */
export type ModelResultWrite = {
  label: string
  probabilities: Probabilities
  /** Token budget N the model ran at. */
  budget: number
  /** Tokens actually spent (a ladder may spend more than one budget). */
  tokens: number
  model: string
  latencyMs?: number
  cost?: number
}

/**
 * A (partial) fact about an inspection. Writers send what they know: the edge its result, the
 * cloud its verdict, a reviewer a human label. Writes merge: a field absent here keeps its stored
 * value, and the final verdict only moves up the rank edge < cloud < human (same rank: later
 * `decidedAt` wins). Writing the same fact twice leaves the same row: idempotent on `id`.
 */
export type InspectionWrite = {
  /** UUID chosen at ingest. */
  id: string
  lineId: string
  plantId: string
  receivedAt: Date
  question?: string | null
  policyVersion?: number
  escalated?: boolean
  edge?: ModelResultWrite
  cloud?: ModelResultWrite & { answer?: number }
  /**
   * `latencyMs` is ingest to final verdict. The edge's figure is kept as given (it measures its
   * own decision time); for a cloud or human verdict, and an edge one without it, it is
   * decidedAt − receivedAt, recomputed when an earlier receivedAt arrives later (a result after
   * its verdict), so a redelivered write can never change it.
   */
  final?: { verdict: string; decidedBy: DecidedBy; decidedAt: Date; latencyMs?: number }
  /** How the edge disposed of the case (results v1). */
  disposition?: Disposition
  /** Why the edge asked for the cloud: confidence, margin, entropy, always-escalate or audit. */
  escalationReason?: string
  /** Budgets the edge tried, in order. */
  ladder?: number[]
  /** The edge's probability for its own label. */
  edgeConfidence?: number
  /** The cloud answered after the policy's deadline. */
  cloudLate?: boolean
}

export type InspectionFilter = {
  lineId?: string
  plantId?: string
  /** Only these plants (an API key's scope); an empty list matches nothing. */
  plantIds?: readonly string[]
  verdict?: string
  decidedBy?: DecidedBy
  escalated?: boolean
  /** Inclusive lower bound on `receivedAt`. */
  from?: Date
  /** Exclusive upper bound on `receivedAt`. */
  to?: Date
}

export type Page<T> = {
  rows: T[]
  hasNextPage: boolean
  startCursor: string | null
  endCursor: string | null
}

/** Largest page the repository serves; the gateway caps lower. */
export const MAX_PAGE_SIZE = 1000

/** Most rows `count` counts. */
export const MAX_COUNT = 100_000

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const rank = (table: string) =>
  `(case ${table}."decided_by" when 'human' then 3 when 'cloud' then 2 when 'edge' then 1 else 0 end)`
const finalWinsText =
  `(excluded."decided_by" is not null and (${rank('excluded')} > ${rank('"inspections"')} or ` +
  `(${rank('excluded')} = ${rank('"inspections"')} and excluded."decided_at" >= coalesce("inspections"."decided_at", '-infinity'::timestamptz))))`
const finalWins = sql.raw(finalWinsText)

const mergedColumns = [
  'question',
  'policyVersion',
  'edgeLabel',
  'edgeProbabilities',
  'edgeBudget',
  'edgeTokens',
  'edgeModel',
  'edgeLatencyMs',
  'edgeCost',
  'cloudLabel',
  'cloudProbabilities',
  'cloudBudget',
  'cloudTokens',
  'cloudModel',
  'cloudLatencyMs',
  'cloudCost',
  'cloudAnswer',
  'disposition',
  'escalationReason',
  'ladder',
  'edgeConfidence',
  'cloudLate',
] as const
const finalColumns = ['verdict', 'decidedBy', 'decidedAt'] as const

/**
 * receivedAt is the earliest time any writer reports: a verdict that arrives before its result
 * only knows when the case was escalated, the result later brings when it was captured.
 */
const mergedReceivedAt = `least("inspections"."received_at", excluded."received_at")`
const msBetween = (from: string, to: string) =>
  `greatest(0, extract(epoch from (${to} - ${from})) * 1000)::float8`
/**
 * Latency (ingest to final verdict, ms): the edge's own figure when an edge verdict wins, else
 * decidedAt − receivedAt; a stored cloud or human verdict is recomputed against a receivedAt
 * that moved earlier.
 */
const mergedLatency = sql.raw(
  `case when ${finalWinsText} ` +
    `then (case when excluded."decided_by" = 'edge' then coalesce(excluded."latency_ms", ${msBetween(mergedReceivedAt, 'excluded."decided_at"')}) ` +
    `else ${msBetween(mergedReceivedAt, 'excluded."decided_at"')} end) ` +
    `when "inspections"."decided_by" in ('cloud', 'human') then ${msBetween(mergedReceivedAt, '"inspections"."decided_at"')} ` +
    `else "inspections"."latency_ms" end`,
)

const mergeSet: Record<string, SQL> = {
  ...Object.fromEntries(
    mergedColumns.map((key) => {
      const col = inspections[key].name
      return [key, sql.raw(`coalesce(excluded."${col}", "inspections"."${col}")`)]
    }),
  ),
  ...Object.fromEntries(
    finalColumns.map((key) => {
      const col = inspections[key].name
      return [
        key,
        sql`case when ${finalWins} then excluded.${sql.raw(`"${col}"`)} else ${sql.raw(`"inspections"."${col}"`)} end`,
      ]
    }),
  ),
  latencyMs: mergedLatency,
  receivedAt: sql.raw(mergedReceivedAt),
  escalated: sql.raw(`("inspections"."escalated" or excluded."escalated")`),
  updatedAt: sql.raw(`excluded."updated_at"`),
}

export class InspectionsRepository {
  /**
   * @param knownLines line id → plant id of lines seen committed (a line never changes plant and
   *   is never deleted); shared by the storage's repositories and those of its transactions.
   */
  constructor(
    private readonly db: Database,
    private readonly knownLines = new Map<string, string>(),
  ) {}

  /** Merges `write` into the stored inspection (see InspectionWrite); returns the merged row. */
  async upsert(write: InspectionWrite): Promise<InspectionRow> {
    const [row] = await this.upsertMany([write])
    return row!
  }

  /**
   * Merges several writes in one transaction with a few statements whatever their number (one
   * multi-row upsert per round, one ledger upsert, one ledger re-stamp), in order: writes to the
   * same id go in successive rounds, so the result equals upserting them one by one. Returns the
   * merged row after each write, in the order given.
   */
  async upsertMany(writes: readonly InspectionWrite[]): Promise<InspectionRow[]> {
    for (const write of writes) assertUuid(write.id)
    if (writes.length === 0) return []
    // Round k holds the k-th write of each id: one INSERT … ON CONFLICT may touch a row only once.
    const rounds: { index: number; write: InspectionWrite }[][] = []
    const seen = new Map<string, number>()
    for (const [index, write] of writes.entries()) {
      const k = seen.get(write.id) ?? 0
      seen.set(write.id, k + 1)
      if (rounds[k] === undefined) rounds[k] = []
      rounds[k].push({ index, write })
    }
    const lines = new Map(writes.map((w) => [`${w.lineId}\u0000${w.plantId}`, w]))
    const merged = await this.db.transaction(async (tx) => {
      for (const { lineId, plantId } of lines.values()) await this.ensureLine(tx, lineId, plantId)
      const out: InspectionRow[] = new Array(writes.length)
      for (const round of rounds) {
        const rows = await tx
          .insert(inspections)
          .values(round.map(({ write }) => insertValues(write)))
          .onConflictDoUpdate({ target: inspections.id, set: mergeSet })
          .returning()
        const byId = new Map(rows.map((r) => [r.id, r]))
        for (const { index, write } of round) out[index] = byId.get(write.id)!
      }
      // The last write of an id carries the final state of that row.
      const last = new Map<string, InspectionRow>()
      for (const row of out) last.set(row.id, row)
      const ledger = new Map<string, typeof costLedger.$inferInsert>()
      for (const write of writes) {
        for (const tier of ['edge', 'cloud'] as const) {
          const result = write[tier]
          if (result?.cost === undefined) continue
          const row = last.get(write.id)!
          ledger.set(`${write.id}/${tier}`, {
            lineId: row.lineId,
            inspectionId: write.id,
            tier,
            tokens: result.tokens,
            cost: result.cost,
            at: row.receivedAt,
          })
        }
      }
      if (ledger.size > 0) {
        await tx
          .insert(costLedger)
          .values([...ledger.values()])
          .onConflictDoUpdate({
            target: [costLedger.inspectionId, costLedger.tier],
            set: { tokens: sql.raw('excluded."tokens"'), cost: sql.raw('excluded."cost"') },
          })
      }
      // receivedAt may have moved earlier (a result after its verdict): keep the ledger's hour right.
      const restamp = writes
        .filter(
          (w) => w.edge !== undefined || last.get(w.id)!.receivedAt.getTime() !== w.receivedAt.getTime(),
        )
        .map((w) => w.id)
      if (restamp.length > 0) {
        await tx.execute(
          sql`update ${costLedger} set "at" = i."received_at" from ${inspections} i
              where ${costLedger.inspectionId} = i."id" and ${costLedger.at} <> i."received_at"
              and ${inArray(costLedger.inspectionId, [...new Set(restamp)])}`,
        )
      }
      return out
    })
    return merged
  }

  async get(id: string): Promise<InspectionRow | undefined> {
    assertUuid(id)
    const [row] = await this.db.select().from(inspections).where(eq(inspections.id, id))
    return row
  }

  async getMany(ids: readonly string[]): Promise<InspectionRow[]> {
    for (const id of ids) assertUuid(id)
    if (ids.length === 0) return []
    return this.db
      .select()
      .from(inspections)
      .where(inArray(inspections.id, [...ids]))
  }

  /** Newest first by `receivedAt`, then id; `after` is a previous page's `endCursor`. */
  async list(
    filter: InspectionFilter,
    page: { first: number; after?: string | null },
  ): Promise<Page<InspectionRow>> {
    if (!Number.isInteger(page.first) || page.first < 1 || page.first > MAX_PAGE_SIZE) {
      throw new DbError(
        'DB_INPUT_INVALID',
        `expected an integer 1–${MAX_PAGE_SIZE} for first; received ${JSON.stringify(page.first)}`,
      )
    }
    const conditions = filterConditions(filter)
    if (page.after) {
      const cursor = decodeCursor(page.after)
      assertUuid(cursor.id, 'after')
      conditions.push(
        sql`(${inspections.receivedAt}, ${inspections.id}) < (${cursor.at.toISOString()}::timestamptz, ${cursor.id}::uuid)`,
      )
    }
    const rows = await this.db
      .select()
      .from(inspections)
      .where(and(...conditions))
      .orderBy(sql`${inspections.receivedAt} desc nulls last`, sql`${inspections.id} desc nulls last`)
      .limit(page.first + 1)
    const hasNextPage = rows.length > page.first
    const pageRows = hasNextPage ? rows.slice(0, page.first) : rows
    const first = pageRows[0]
    const last = pageRows.at(-1)
    return {
      rows: pageRows,
      hasNextPage,
      startCursor: first ? inspectionCursor(first) : null,
      endCursor: last ? inspectionCursor(last) : null,
    }
  }

  /**
   * Inspections matching `filter`, counting at most `atMost` of them: the answer `atMost` means
   * "at least that many". Bounded so a page's count never scans a million rows.
   */
  async count(filter: InspectionFilter, atMost = MAX_COUNT): Promise<number> {
    if (!Number.isInteger(atMost) || atMost < 1 || atMost > MAX_COUNT) {
      throw new DbError(
        'DB_INPUT_INVALID',
        `expected an integer 1–${MAX_COUNT} for atMost; received ${JSON.stringify(atMost)}`,
      )
    }
    const matching = this.db
      .select({ one: sql`1` })
      .from(inspections)
      .where(and(...filterConditions(filter)))
      .limit(atMost)
      .as('matching')
    const [row] = await this.db.select({ n: count() }).from(matching)
    return row?.n ?? 0
  }

  /**
   * Creates a missing line (and plant) inside the write's transaction. Only a line found already
   * there is remembered: one created here may still roll back with its transaction.
   */
  private async ensureLine(tx: Database, lineId: string, plantId: string): Promise<void> {
    let linePlant = this.knownLines.get(lineId)
    if (linePlant === undefined) {
      const [existing] = await tx.select({ plantId: lines.plantId }).from(lines).where(eq(lines.id, lineId))
      if (existing) {
        linePlant = existing.plantId
        this.knownLines.set(lineId, linePlant)
      } else {
        await tx.insert(plants).values({ id: plantId, name: plantId }).onConflictDoNothing()
        await tx.insert(lines).values({ id: lineId, plantId, name: lineId }).onConflictDoNothing()
        const [line] = await tx.select({ plantId: lines.plantId }).from(lines).where(eq(lines.id, lineId))
        linePlant = line!.plantId
      }
    }
    if (linePlant !== plantId) {
      throw new DbError(
        'DB_INPUT_INVALID',
        `line ${lineId} belongs to plant ${linePlant}; received plantId ${JSON.stringify(plantId)}`,
      )
    }
  }
}

function insertValues(write: InspectionWrite): typeof inspections.$inferInsert {
  return {
    id: write.id,
    lineId: write.lineId,
    plantId: write.plantId,
    receivedAt: write.receivedAt,
    question: write.question ?? null,
    policyVersion: write.policyVersion ?? null,
    escalated: write.escalated ?? false,
    edgeLabel: write.edge?.label ?? null,
    edgeProbabilities: write.edge?.probabilities ?? null,
    edgeBudget: write.edge?.budget ?? null,
    edgeTokens: write.edge?.tokens ?? null,
    edgeModel: write.edge?.model ?? null,
    edgeLatencyMs: write.edge?.latencyMs ?? null,
    edgeCost: write.edge?.cost ?? null,
    cloudLabel: write.cloud?.label ?? null,
    cloudProbabilities: write.cloud?.probabilities ?? null,
    cloudBudget: write.cloud?.budget ?? null,
    cloudTokens: write.cloud?.tokens ?? null,
    cloudModel: write.cloud?.model ?? null,
    cloudLatencyMs: write.cloud?.latencyMs ?? null,
    cloudCost: write.cloud?.cost ?? null,
    cloudAnswer: write.cloud?.answer ?? null,
    verdict: write.final?.verdict ?? null,
    decidedBy: write.final?.decidedBy ?? null,
    decidedAt: write.final?.decidedAt ?? null,
    latencyMs: write.final
      ? ((write.final.decidedBy === 'edge' ? write.final.latencyMs : undefined) ??
        Math.max(0, write.final.decidedAt.getTime() - write.receivedAt.getTime()))
      : null,
    disposition: write.disposition ?? null,
    escalationReason: write.escalationReason ?? null,
    ladder: write.ladder ?? null,
    edgeConfidence: write.edgeConfidence ?? null,
    cloudLate: write.cloudLate ?? null,
    updatedAt: new Date(),
  }
}

function filterConditions(filter: InspectionFilter): SQL[] {
  const conditions: SQL[] = []
  if (filter.lineId !== undefined) conditions.push(eq(inspections.lineId, filter.lineId))
  if (filter.plantId !== undefined) conditions.push(eq(inspections.plantId, filter.plantId))
  if (filter.plantIds !== undefined) {
    conditions.push(
      filter.plantIds.length > 0 ? inArray(inspections.plantId, [...filter.plantIds]) : sql`false`,
    )
  }
  if (filter.verdict !== undefined) conditions.push(eq(inspections.verdict, filter.verdict))
  if (filter.decidedBy !== undefined) conditions.push(eq(inspections.decidedBy, filter.decidedBy))
  if (filter.escalated !== undefined) conditions.push(eq(inspections.escalated, filter.escalated))
  if (filter.from !== undefined) conditions.push(gte(inspections.receivedAt, filter.from))
  if (filter.to !== undefined) conditions.push(lt(inspections.receivedAt, filter.to))
  return conditions
}

/** The cursor that pages past `row` (what `endCursor` is for the last row of a page). */
export function inspectionCursor(row: Pick<InspectionRow, 'receivedAt' | 'id'>): string {
  return encodeCursor({ at: row.receivedAt, id: row.id })
}

export function assertUuid(id: string, parameter = 'id'): void {
  if (!uuidPattern.test(id)) {
    throw new DbError('DB_INPUT_INVALID', `expected a UUID for ${parameter}; received ${JSON.stringify(id)}`)
  }
}
