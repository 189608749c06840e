import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadFrontierOptions } from '../../../cli/internal/frontier-options.ts'
import type { FrontierReport } from '../../../cli/internal/frontier-report.ts'
import { ConfigError } from '../../../lib/config/index.ts'
import { type PolicyV2, policyPayloadV2 } from '../../../lib/messaging/index.ts'
import {
  calibrationSet,
  describePolicy,
  evaluateGrid,
  paretoFrontier,
  recommend,
} from '../../../lib/policy/replay/index.ts'
import { demoPolicyBody } from '../../../services/gateway/src/policy/demo-seed.ts'
import { policy } from '../lib/policy/fixtures.ts'
import { hand, labels, oneHot, records } from '../lib/policy/replay/fixtures.ts'

const run = promisify(execFile)
const root = join(import.meta.dirname, '../../..')
const tsx = join(root, 'node_modules/.bin/tsx')
let tmp: string
let edgePath: string
let cloudPath: string
let modelsDir: string

const edgeRecords = records('edge', hand.truth, { 16: hand.edge16, 64: hand.edge64 })
const cloudRecords = records('cloud', hand.truth, {
  64: hand.cloud64.map(oneHot),
  256: hand.cloud256.map(oneHot),
})

/** A manifest for the hand case: its budgets, labels and latency per budget (what the replay reads). */
function manifest(name: string, role: 'edge' | 'cloud', latency: Record<string, number>) {
  const metrics = Object.fromEntries(
    Object.entries(latency).map(([b, ms]) => [
      b,
      { accuracy: 0.5, perClassRecall: {}, latencyMsPerImage: ms, samples: 6 },
    ]),
  )
  return {
    schema: 'tokenline.model-manifest.v1',
    name,
    role,
    sha256: '0'.repeat(64),
    labels,
    patchSize: 8,
    channels: 1,
    colorSpace: 'b-w',
    normalisation: { mean: [0.5], std: [0.25] },
    budgets: Object.keys(latency).map(Number),
    metrics,
  }
}

type Outcome = { code: number; stdout: string; stderr: string }

async function frontier(args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(tsx, [join(root, 'cli/frontier.ts'), ...args], { cwd: root })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

const common = () => ['--edge', edgePath, '--cloud', cloudPath, '--models-dir', modelsDir]

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tokenline-frontier-cli-'))
  modelsDir = join(tmp, 'models')
  for (const [folder, m] of [
    ['edge', manifest('edge-vit-s', 'edge', hand.edgeLatencyMs)],
    ['cloud', manifest('cloud-vit-m', 'cloud', hand.cloudLatencyMs)],
  ] as const) {
    await mkdir(join(modelsDir, folder), { recursive: true })
    await writeFile(join(modelsDir, folder, 'manifest.json'), JSON.stringify(m))
  }
  edgePath = join(modelsDir, 'edge/calibration.json')
  cloudPath = join(modelsDir, 'cloud/calibration.json')
  await writeFile(edgePath, JSON.stringify(edgeRecords))
  await writeFile(cloudPath, JSON.stringify(cloudRecords))
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

const set = calibrationSet({
  edge: edgeRecords,
  cloud: cloudRecords,
  question: null,
  edgeLatencyMs: hand.edgeLatencyMs,
  cloudLatencyMs: hand.cloudLatencyMs,
  dataset: 'hand',
})

/** The library's own answer for a base policy: frontier and recommendations. */
function library(base: PolicyV2, minConfidence: (number | null)[]) {
  const front = paretoFrontier(evaluateGrid(set, base, { minConfidence }).candidates)
  const rec = (t: { targetAccuracy?: number; maxCostPer1k?: number }) =>
    recommend(front, t, (c) => describePolicy(c.policy)).recommended
  return { front, rec }
}

describe('npm run frontier', () => {
  it('prints and writes the library frontier and recommendations for the demo policy', async () => {
    const out = join(tmp, 'out/demo.json')
    const r = await frontier([
      ...common(),
      '--edge-price',
      '0.01',
      '--cloud-price',
      '0.02',
      '--min-confidence',
      'none,0.8',
      '--target-accuracy',
      '0.8',
      '--max-cost-per-1k',
      '1',
      '--json',
      out,
    ])
    expect(r.stderr).not.toMatch(/failed/)
    expect(r.code).toBe(0)
    const demo = policyPayloadV2.parse({
      ...demoPolicyBody(
        { name: 'edge-vit-s', budgets: [16, 64] },
        { name: 'cloud-vit-m', budgets: [64, 256] },
      ),
      version: 1,
      author: 'test',
      reason: 'test',
      createdAt: new Date(0).toISOString(),
      rolledBackTo: null,
    })
    const base = { ...demo, costPer1kTokens: { edge: 0.01, cloud: 0.02 } }
    const { front, rec } = library(base, [null, 0.8])
    expect(front.length).toBeGreaterThan(1)

    const report = JSON.parse(await readFile(out, 'utf8')) as FrontierReport
    expect(report.images).toBe(6)
    expect(report.candidates).toBe(12)
    expect(report.frontier.map((f) => [f.describe, f.accuracy, f.costPer1k])).toEqual(
      front.map((f) => [describePolicy(f.policy), f.accuracy, f.costPer1k]),
    )
    expect(report.recommendations.map((x) => x.recommended?.describe)).toEqual([
      describePolicy(rec({ targetAccuracy: 0.8 })!.policy),
      describePolicy(rec({ maxCostPer1k: 1 })!.policy),
    ])

    // The printed table: one row per frontier member, in the library's order, with its figures.
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| edge '))
    expect(rows).toHaveLength(front.length)
    for (const [i, f] of front.entries()) {
      expect(rows[i]).toContain(`| ${describePolicy(f.policy)} | ${f.accuracy.toFixed(3)} [`)
      expect(rows[i]).toContain(`| ${f.costPer1k.toFixed(3)} |`)
    }
    expect(r.stdout).toMatch(/^- targetAccuracy 0\.8: cheapest policy with replayed accuracy ≥ 0\.800/m)
    expect(r.stdout).toMatch(/the base policy: edge 16 → 64, minConfidence 0\.8, cloud 256, audit 0\.02/)
  }, 60_000)

  it('replays a --policy file: the hand-computed three-point frontier', async () => {
    const file = join(tmp, 'policy.json')
    const {
      version: _v,
      author: _a,
      reason: _r,
      createdAt: _c,
      rolledBackTo: _b,
      ...body
    } = policy({
      costPer1kTokens: { edge: 0.01, cloud: 0.02 },
    })
    await writeFile(file, JSON.stringify(body))
    const out = join(tmp, 'out/policy.json')
    const r = await frontier([
      ...common(),
      '--policy',
      file,
      '--min-confidence',
      'none,0.8',
      '--target-accuracy',
      '0.9',
      '--json',
      out,
    ])
    expect(r.code).toBe(0)
    const report = JSON.parse(await readFile(out, 'utf8')) as FrontierReport
    // frontier.test.ts computes these on paper (audit 0).
    expect(report.frontier.map((f) => [f.accuracy, Number(f.costPer1k.toFixed(6))])).toEqual([
      [3 / 6, 0.16],
      [5 / 6, 0.64],
      [1, 3.2],
    ])
    expect(report.recommendations[0]!.explanation).toMatch(
      /^cheapest policy with replayed accuracy ≥ 0\.900: edge 64, minConfidence 0\.8, cloud 256, audit 0, accuracy 1\.000 for 3\.2000 per 1,000 images; the current policy replays at accuracy /,
    )
  }, 60_000)

  it('refuses bad input with a clear message and a non-zero exit', async () => {
    const otherImages = join(tmp, 'cloud-other.json')
    await writeFile(
      otherImages,
      JSON.stringify(
        records(
          'cloud',
          hand.truth,
          { 64: hand.cloud64.map(oneHot), 256: hand.cloud256.map(oneHot) },
          hand.truth.map((_, i) => `other-${i}`),
        ),
      ),
    )
    const badPolicy = join(tmp, 'bad-policy.json')
    const { version: _v, ...body } = policy()
    body.edge.ladder = [36]
    body.escalation.thresholds.minConfidence = 1.5
    body.costPer1kTokens.cloud = -0.5
    await writeFile(badPolicy, JSON.stringify(body))
    const cases: [string, string[], number, RegExp][] = [
      [
        'missing records',
        [...common(), '--edge', join(tmp, 'nope.json')],
        1,
        /REPLAY_RECORDS_INVALID: cannot read calibration records .*nope\.json/,
      ],
      [
        'records of different images',
        [...common(), '--cloud', otherImages],
        1,
        /expected edge-vit-s and cloud-vit-m records over the same images but image 0 is img-1 in one and other-0 in the other/,
      ],
      [
        'invalid policy',
        [...common(), '--policy', badPolicy],
        2,
        /edge\.ladder\[0\]: expected a budget edge-vit-s supports \(16, 64\); received 36[\s\S]*escalation\.thresholds\.minConfidence: expected a probability in \[0, 1\]; received 1\.5[\s\S]*costPer1kTokens\.cloud: expected a price per 1,000 tokens >= 0; received -0\.5/,
      ],
      [
        'negative price',
        [...common(), '--edge-price=-1'],
        2,
        /expected a price per 1,000 tokens >= 0 for --edge-price but received -1/,
      ],
      ['unknown flag', [...common(), '--budget', '16'], 2, /Unknown option '--budget'/],
    ]
    const outcomes = await Promise.all(cases.map(([, args]) => frontier(args)))
    for (const [i, [name, , code, message]] of cases.entries()) {
      expect(outcomes[i]!.code, name).toBe(code)
      expect(outcomes[i]!.stderr, name).toMatch(message)
      expect(outcomes[i]!.stdout, name).toBe('')
    }
  }, 90_000)
})

describe('loadFrontierOptions', () => {
  it('defaults to the shipped records and the demo policy', () => {
    const o = loadFrontierOptions([])
    expect(o).toMatchObject({
      edge: 'models/edge-vit-s/calibration.json',
      cloud: 'models/cloud-vit-m/calibration.json',
      modelsDir: 'models',
      policy: undefined,
      minConfidence: undefined,
      targetAccuracy: [],
      maxCostPer1k: [],
    })
  })

  it('takes repeated targets and a minConfidence grid with "none"', () => {
    const o = loadFrontierOptions([
      '--target-accuracy',
      '0.9',
      '--target-accuracy',
      '0.85',
      '--min-confidence',
      'none,0.5',
    ])
    expect(o.targetAccuracy).toEqual([0.9, 0.85])
    expect(o.minConfidence).toEqual([null, 0.5])
  })

  it('lists every bad value at once', () => {
    let err: unknown
    try {
      loadFrontierOptions(['--cloud-price', 'x', '--target-accuracy', '1.2', '--min-confidence', '0.5,2'])
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).problems).toHaveLength(3)
  })

  // Tried (review): a trailing comma and an empty list, which Number('') would read as 0.
  it('refuses an empty item in --min-confidence instead of adding a threshold of 0', () => {
    for (const grid of ['0.5,', '', 'none,,0.9'])
      expect(() => loadFrontierOptions(['--min-confidence', grid])).toThrow(/--min-confidence/)
  })
})
