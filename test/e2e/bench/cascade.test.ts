/**
 * `npm run bench:cascade -- --quick` end to end: the benchmark starts the whole system (embedded
 * broker, gateway and edge on PGlite, cloud, shipped models), runs 40 held-out images under
 * all-edge, all-cloud and one cascade threshold, and writes its JSON and SVG. Checks the shape and
 * the figures that cannot depend on the models: all-cloud escalates everything at the cloud
 * budget, all-edge nothing; timings are the benchmark's business, not asserted here.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../../..')
const dir = mkdtempSync(join(tmpdir(), 'tokenline-bench-cascade-test-'))

afterAll(() => rmSync(dir, { recursive: true, force: true }))

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent' }
    delete env.NODE_ENV
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/cascade.ts', ...args], {
      cwd: root,
      env,
    })
    let output = ''
    child.stdout.on('data', (d) => {
      output += d
    })
    child.stderr.on('data', (d) => {
      output += d
    })
    child.on('close', (code) => done({ code, output }))
  })
}

describe('npm run bench:cascade -- --quick', () => {
  it('runs 40 images through the live system under three policies and writes the table, JSON and SVG', async () => {
    const out = join(dir, 'cascade.json')
    const svg = join(dir, 'cascade.svg')
    const { code, output } = await run(['--quick', '--out', out, '--svg', svg])
    expect(code, output).toBe(0)
    expect(output).toMatch(/## Pareto table/)
    expect(output).toMatch(/Verdict \(absolute definition\): (MET|NOT MET)\./)

    const json = JSON.parse(readFileSync(out, 'utf8'))
    expect(json.schema).toBe('tokenline.bench-cascade.v1')
    expect(json.heldOut).toMatchObject({ images: 40, twoDefects: expect.any(Number) })
    expect(json.heldOut.twoDefects).toBeGreaterThan(0)
    expect(json.policies.map((p: { name: string }) => p.name)).toEqual([
      'all-edge-16',
      'all-cloud',
      'cascade-c.9',
    ])
    const byName = Object.fromEntries(json.policies.map((p: { name: string }) => [p.name, p]))
    for (const p of json.policies) {
      expect(p.measured.images).toBe(40)
      expect(p.measured.accuracy).toBeGreaterThanOrEqual(0)
      expect(p.measured.accuracy).toBeLessThanOrEqual(1)
      expect(Object.keys(p.measured.perClassRecall).sort()).toEqual([
        'crack',
        'ok',
        'pit',
        'scratch',
        'stain',
      ])
      expect(p.predicted.images).toBe(2000)
      expect(p.difference.accuracy).toBeCloseTo(p.measured.accuracy - p.predicted.accuracy, 12)
    }
    expect(byName['all-cloud'].measured).toMatchObject({ escalationRate: 1, cloudTokensPer1k: 256_000 })
    expect(byName['all-cloud'].predicted.escalationRate).toBe(1)
    expect(byName['all-cloud'].policy.escalation.alwaysEscalate.sort()).toEqual([
      'crack',
      'ok',
      'pit',
      'scratch',
      'stain',
    ])
    expect(byName['cascade-c.9'].policy.escalation.thresholds).toEqual({ minConfidence: 0.9 })
    expect(byName['all-edge-16'].measured).toMatchObject({
      escalationRate: 0,
      cloudTokensPer1k: 0,
      edgeTokensPer1k: 16_000,
    })
    expect(byName['all-edge-16'].measured.costPer1k).toBeCloseTo(16 * 0.001, 9)
    const cascade = byName['cascade-c.9'].measured
    expect(cascade.cloudTokensPer1k).toBeCloseTo(cascade.escalationRate * 256_000, 6)
    expect(json.promise.baselineCloudTokensPer1k).toBe(256_000)
    expect(typeof json.promise.met).toBe('boolean')

    const plot = readFileSync(svg, 'utf8')
    expect(plot.startsWith('<svg')).toBe(true)
    for (const name of ['all-edge-16', 'all-cloud', 'cascade-c.9']) expect(plot).toContain(`>${name}</text>`)
    // About 1 minute on a quiet 2-core machine; 2.2 minutes were seen at load average 20.
  }, 300_000)
})
