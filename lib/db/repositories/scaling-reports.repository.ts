import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm'
import type { ScalingReportV1 } from '../../contracts/scaling-report.v1.ts'
import type { Database } from '../database.ts'
import { canonicalJson, sha256Hex } from '../internal/canonical-json.ts'
import { scalingPoints, scalingReports } from '../schema.ts'

export type ScalingReportRow = typeof scalingReports.$inferSelect
export type ScalingPointRow = typeof scalingPoints.$inferSelect
/** A stored report with its points, ascending by budget. */
export type StoredScalingReport = ScalingReportRow & { points: ScalingPointRow[] }

/** The id a report is stored under: sha256 of its canonical JSON (same content, same id). */
export function scalingReportId(report: ScalingReportV1): string {
  return sha256Hex(canonicalJson(report))
}

export class ScalingReportsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Stores a validated report once; importing the same content again changes nothing, except that
   * answer-accuracy baselines missing from points stored before their columns existed are filled in.
   */
  async import(report: ScalingReportV1): Promise<{ id: string; created: boolean }> {
    const id = scalingReportId(report)
    const created = await this.db.transaction(async (tx) => {
      const inserted = await tx
        .insert(scalingReports)
        .values({
          id,
          model: report.model,
          modelSha256: report.modelSha256,
          datasetPath: report.dataset.path,
          datasetCount: report.dataset.count,
          datasetDescription: report.dataset.description ?? null,
          question: report.question,
          createdAt: new Date(report.createdAt),
          command: report.command,
          fits: report.fits,
        })
        .onConflictDoNothing()
        .returning({ id: scalingReports.id })
      if (inserted.length === 0) {
        await backfillBaselines(tx, id, report)
        return false
      }
      await tx.insert(scalingPoints).values(
        report.points.map((p) => ({
          reportId: id,
          budget: p.budget,
          accuracy: p.accuracy,
          error: p.error,
          ece: p.ece,
          latencyMsPerImage: p.latencyMsPerImage,
          tokensPerImage: p.tokensPerImage,
          perClass: p.perClass,
          answerAccuracy: p.answerAccuracy ?? null,
          visionAnswerAccuracy: p.visionAnswerAccuracy ?? null,
          visionPosteriorAnswerAccuracy: p.visionPosteriorAnswerAccuracy ?? null,
        })),
      )
      return true
    })
    return { id, created }
  }

  /** Newest first, optionally for one model. */
  async list(filter: { model?: string } = {}): Promise<StoredScalingReport[]> {
    const query = this.db.select().from(scalingReports)
    const reports = await (filter.model
      ? query.where(eq(scalingReports.model, filter.model))
      : query
    ).orderBy(desc(scalingReports.createdAt), asc(scalingReports.id))
    return this.withPoints(reports)
  }

  /** Each model's reports (newest first), in two queries whatever the number of models. */
  async listForModels(names: readonly string[]): Promise<Map<string, StoredScalingReport[]>> {
    const byModel = new Map<string, StoredScalingReport[]>()
    if (names.length === 0) return byModel
    const reports = await this.db
      .select()
      .from(scalingReports)
      .where(inArray(scalingReports.model, [...names]))
      .orderBy(desc(scalingReports.createdAt), asc(scalingReports.id))
    for (const report of await this.withPoints(reports)) {
      byModel.set(report.model, [...(byModel.get(report.model) ?? []), report])
    }
    return byModel
  }

  async get(id: string): Promise<StoredScalingReport | undefined> {
    const reports = await this.db.select().from(scalingReports).where(eq(scalingReports.id, id))
    return (await this.withPoints(reports))[0]
  }

  private async withPoints(reports: ScalingReportRow[]): Promise<StoredScalingReport[]> {
    if (reports.length === 0) return []
    const points = await this.db
      .select()
      .from(scalingPoints)
      .where(
        inArray(
          scalingPoints.reportId,
          reports.map((r) => r.id),
        ),
      )
      .orderBy(asc(scalingPoints.reportId), asc(scalingPoints.budget))
    const byReport = new Map<string, ScalingPointRow[]>()
    for (const p of points) byReport.set(p.reportId, [...(byReport.get(p.reportId) ?? []), p])
    return reports.map((r) => ({ ...r, points: byReport.get(r.id) ?? [] }))
  }
}

/** Sets the vision answer baselines of an already stored report's points where they are still null. */
async function backfillBaselines(tx: Database, id: string, report: ScalingReportV1): Promise<void> {
  for (const p of report.points) {
    if (p.visionAnswerAccuracy === undefined && p.visionPosteriorAnswerAccuracy === undefined) continue
    await tx
      .update(scalingPoints)
      .set({
        visionAnswerAccuracy: sql`coalesce(${scalingPoints.visionAnswerAccuracy}, ${p.visionAnswerAccuracy ?? null})`,
        visionPosteriorAnswerAccuracy: sql`coalesce(${scalingPoints.visionPosteriorAnswerAccuracy}, ${p.visionPosteriorAnswerAccuracy ?? null})`,
      })
      .where(and(eq(scalingPoints.reportId, id), eq(scalingPoints.budget, p.budget)))
  }
}
