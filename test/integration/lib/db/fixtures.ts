import { type ScalingReportV1, scalingReportV1 } from '../../../../lib/contracts/scaling-report.v1.ts'

/** A small valid scaling report (three budgets, two classes), parsed by the v1 schema. */
export function scalingReportFixture(overrides: Partial<ScalingReportV1> = {}): ScalingReportV1 {
  return scalingReportV1.parse({
    schema: 'tokenline.scaling-report.v1',
    model: 'tiny-edge',
    modelSha256: 'a'.repeat(64),
    dataset: { path: 'data/test', count: 300, description: 'seeds 9000–9299' },
    question: null,
    createdAt: '2026-11-20T10:00:00.000Z',
    command: 'npm run eval -- --model tiny-edge --budgets 4,16,64',
    points: [4, 16, 64].map((budget, i) => ({
      budget,
      accuracy: 0.5 + 0.15 * i,
      error: 0.5 - 0.15 * i,
      ece: 0.05,
      latencyMsPerImage: 0.1 * (i + 1),
      tokensPerImage: budget,
      perClass: {
        ok: { recall: 0.9, error: 0.1, count: 200 },
        pit: { recall: 0.2 + 0.3 * i, error: 0.8 - 0.3 * i, count: 100 },
      },
    })),
    fits: {
      overall: { c: 1.2, alpha: 0.35, r2: 0.98 },
      perClass: { ok: { c: 0.1, alpha: 0.01, r2: null }, pit: { c: 2.5, alpha: 0.6, r2: 0.95 } },
    },
    ...overrides,
  })
}
