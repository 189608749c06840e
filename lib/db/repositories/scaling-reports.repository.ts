import { asc, desc, eq, inArray } from 'drizzle-orm'
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

  /** Stores a validated report once; importing the same content again changes nothing. */
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
      if (inserted.length === 0) return false
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
