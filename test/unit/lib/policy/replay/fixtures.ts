import {
  CALIBRATION_SCALE_V1,
  type CalibrationRecordsV1,
  calibrationRecordsV1,
} from '../../../../../lib/contracts/calibration-records.v1.ts'

export const labels = ['ok', 'scratch', 'pit'] as const

/** Calibration records of one model: per budget, one probability row per image (labels order). */
export function records(
  role: 'edge' | 'cloud',
  truth: readonly string[],
  budgets: Record<number, readonly (readonly number[])[]>,
  ids: readonly string[] = truth.map((_, i) => `img-${i + 1}`),
): CalibrationRecordsV1 {
  return calibrationRecordsV1.parse({
    schema: 'tokenline.calibration-records.v1',
    model: role === 'edge' ? 'edge-vit-s' : 'cloud-vit-m',
    modelSha256: 'test',
    role,
    labels,
    dataset: { path: 'test/hand-computed', count: truth.length },
    command: 'hand-written for the test',
    createdAt: '2026-12-01T00:00:00.000Z',
    scale: CALIBRATION_SCALE_V1,
    images: { ids, truth: truth.map((t) => labels.indexOf(t as (typeof labels)[number])) },
    passes: [
      {
        question: null,
        budgets: Object.entries(budgets).map(([budget, rows]) => ({
          budget: Number(budget),
          latencyMsPerImage: 0,
          probabilities: rows.flatMap((r) => r.map((p) => Math.round(p * CALIBRATION_SCALE_V1))),
        })),
      },
    ],
  })
}

/**
 * The hand-computed case: 6 images, edge budgets 16 and 64, cloud budgets 64 and 256.
 *
 * image  truth    edge@16 (ok, scratch, pit)   edge@64              cloud@64  cloud@256
 * img-1  ok       .90 .05 .05  ok  sure        .95 .03 .02 ok  sure  ok        ok
 * img-2  scratch  .10 .85 .05  scr sure        .05 .90 .05 scr sure  scratch   scratch
 * img-3  pit      .85 .05 .10  ok  sure ✗      .20 .10 .70 pit .70   ok        pit
 * img-4  scratch  .50 .40 .10  ok  .50         .10 .85 .05 scr sure  ok        scratch
 * img-5  pit      .40 .30 .30  ok  .40         .30 .20 .50 pit .50   ok        pit
 * img-6  ok       .60 .20 .20  ok  .60         .30 .60 .10 scr .60   scratch   ok
 * (sure = confidence ≥ 0.8)
 * Latency (ms per image): edge 16 → 1, 64 → 3; cloud 64 → 4, 256 → 10.
 */
export const hand = {
  truth: ['ok', 'scratch', 'pit', 'scratch', 'pit', 'ok'],
  edge16: [
    [0.9, 0.05, 0.05],
    [0.1, 0.85, 0.05],
    [0.85, 0.05, 0.1],
    [0.5, 0.4, 0.1],
    [0.4, 0.3, 0.3],
    [0.6, 0.2, 0.2],
  ],
  edge64: [
    [0.95, 0.03, 0.02],
    [0.05, 0.9, 0.05],
    [0.2, 0.1, 0.7],
    [0.1, 0.85, 0.05],
    [0.3, 0.2, 0.5],
    [0.3, 0.6, 0.1],
  ],
  cloud64: ['ok', 'scratch', 'ok', 'ok', 'ok', 'scratch'],
  cloud256: ['ok', 'scratch', 'pit', 'scratch', 'pit', 'ok'],
  edgeLatencyMs: { '16': 1, '64': 3 },
  cloudLatencyMs: { '64': 4, '256': 10 },
}

/** A one-hot probability row for a cloud label. */
export const oneHot = (label: string) => labels.map((l) => (l === label ? 1 : 0))
