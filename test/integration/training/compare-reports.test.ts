import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const python = '/usr/bin/python3'

// Two scaling reports cut down to what compare-reports.py reads: per budget the accuracy and the
// per-class recall with its image count.
function report(model: string, points: Array<[number, number, number, number]>) {
  return {
    model,
    points: points.map(([budget, accuracy, okRecall, stainRecall]) => ({
      budget,
      accuracy,
      perClass: { ok: { recall: okRecall, count: 400 }, stain: { recall: stainRecall, count: 200 } },
    })),
  }
}

// The model card's "where the cloud is not above the edge" list comes from this script: a tie
// and a one-image deficit must both be listed, with the difference in images, and a budget only
// one model runs must not be.
describe('training/compare-reports.py', () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tokenline-compare-'))
    await writeFile(
      join(root, 'edge.json'),
      JSON.stringify(
        report('edge', [
          [16, 0.5, 0.7, 0.99],
          [64, 0.7, 0.9, 0.995],
        ]),
      ),
    )
    await writeFile(
      join(root, 'cloud.json'),
      JSON.stringify(
        report('cloud', [
          [16, 0.6, 0.8, 0.985],
          [64, 0.8, 0.9, 1.0],
          [256, 0.9, 0.95, 1.0],
        ]),
      ),
    )
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('lists every cell where the second model is not strictly above the first, in images', () => {
    const run = spawnSync(
      python,
      ['training/compare-reports.py', join(root, 'edge.json'), join(root, 'cloud.json')],
      {
        encoding: 'utf8',
      },
    )
    expect(run.status, run.stderr).toBe(0)
    const start = run.stdout.indexOf('not strictly above')
    const section = run.stdout.slice(start, run.stdout.indexOf('\n\n', start))
    expect(section).toMatch(/^not strictly above edge at equal budget: 2 cells$/m)
    expect(section).toContain('- N=16 stain: 0.9900 / 0.9850 (-1 of 200 images)')
    expect(section).toContain('- N=64 ok: 0.9000 / 0.9000 (+0 of 400 images)')
    expect(section).not.toContain('N=256')
    expect(section).not.toContain('accuracy:')
  })

  it('says none when the second model is above everywhere, and counts every tie', async () => {
    const compare = (first: string, second: string) =>
      spawnSync(python, ['training/compare-reports.py', join(root, first), join(root, second)], {
        encoding: 'utf8',
      })
    const reversed = compare('cloud.json', 'edge.json')
    expect(reversed.status, reversed.stderr).toBe(0)
    // edge against cloud: below at 16 (accuracy, ok) and 64 (accuracy, stain), tied at 64 ok.
    expect(reversed.stdout).toMatch(/edge not strictly above cloud at equal budget: 5 cells/)
    const itself = compare('edge.json', 'edge.json')
    // A model against itself ties everywhere: 2 budgets × (accuracy + 2 classes).
    expect(itself.stdout).toMatch(/edge not strictly above edge at equal budget: 6 cells/)
    const above = report('better', [
      [16, 0.51, 0.71, 0.995],
      [64, 0.71, 0.91, 1.0],
    ])
    await writeFile(join(root, 'better.json'), JSON.stringify(above))
    expect(compare('edge.json', 'better.json').stdout).toMatch(
      /better not strictly above edge at equal budget: none/,
    )
  })
})
