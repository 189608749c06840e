import type { ModelManifestV1 } from '../../../../lib/contracts/model-manifest.v1.ts'
import type { PowerLawFitV1 } from '../../../../lib/contracts/scaling-report.v1.ts'
import type { ModelRole as StoredModelRole } from '../../../../lib/db/index.ts'
import type {
  ModelResolvers,
  ModelRole,
  QueryResolvers,
  ScalingPointResolvers,
  ScalingReportResolvers,
} from './resolvers.generated.ts'

const toStored = { EDGE: 'edge', CLOUD: 'cloud' } as const satisfies Record<ModelRole, StoredModelRole>
const fromStored = { edge: 'EDGE', cloud: 'CLOUD' } as const satisfies Record<StoredModelRole, ModelRole>

// Models and scaling reports are a global catalog: every key sees all of them.
export const modelQueries: Pick<QueryResolvers, 'models' | 'model' | 'scalingReports' | 'scalingReport'> = {
  models: async (_parent, { role }, ctx) =>
    await ctx.storage.models.list(role ? { role: toStored[role] } : {}),
  model: async (_parent, { name }, ctx) => (await ctx.storage.models.get(name)) ?? null,
  scalingReports: (_parent, { model }, ctx) => ctx.storage.scalingReports.list(model ? { model } : {}),
  scalingReport: async (_parent, { id }, ctx) => (await ctx.storage.scalingReports.get(id)) ?? null,
}

export const Model: ModelResolvers = {
  role: (model) => fromStored[model.role],
  metrics: (model) => {
    const manifest = model.manifest as Partial<ModelManifestV1>
    return Object.entries(manifest.metrics ?? {})
      .map(([budget, m]) => ({
        budget: Number(budget),
        accuracy: m.accuracy,
        perClassRecall: Object.entries(m.perClassRecall).map(([label, value]) => ({ label, value })),
        ece: m.ece ?? null,
        latencyMsPerImage: m.latencyMsPerImage ?? null,
        batchSize: m.batchSize ?? null,
        samples: m.samples,
      }))
      .sort((a, b) => a.budget - b.budget)
  },
  measuredWith: (model) => {
    const measuredWith = model.manifest.measuredWith
    return typeof measuredWith === 'string' ? measuredWith : null
  },
  scalingReports: (model, _args, ctx) => ctx.reportsByModel.load(model.name),
}

export const ScalingReport: ScalingReportResolvers = {
  dataset: (report) => ({
    path: report.datasetPath,
    count: report.datasetCount,
    description: report.datasetDescription,
  }),
  fit: (report) => ({
    overall: graphFit(report.fits.overall),
    perClass: byLabel(report.fits.perClass),
    perClassRecall: byLabel(report.fits.perClassRecall ?? {}),
  }),
}

/** Stored fit → GraphQL fit: the bootstrap interval becomes alphaLow / alphaHigh (null when absent). */
function graphFit({ alphaInterval, ...fit }: PowerLawFitV1) {
  return { ...fit, alphaLow: alphaInterval?.[0] ?? null, alphaHigh: alphaInterval?.[1] ?? null }
}

function byLabel(fits: Record<string, PowerLawFitV1>) {
  return Object.entries(fits)
    .map(([label, fit]) => ({ label, ...graphFit(fit) }))
    .sort((a, b) => a.label.localeCompare(b.label))
}

export const ScalingPoint: ScalingPointResolvers = {
  perClass: (point) =>
    Object.entries(point.perClass)
      .map(([label, m]) => ({ label, ...m }))
      .sort((a, b) => a.label.localeCompare(b.label)),
}
