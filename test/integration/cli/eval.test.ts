import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scalingReportV1 } from '../../../lib/contracts/scaling-report.v1.ts'
import { loadModel } from '../../../lib/inference/model.loader.ts'

const run = promisify(execFile)
const root = join(import.meta.dirname, '../../..')
const tsx = join(root, 'node_modules/.bin/tsx')
let tmp: string

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tokenline-eval-cli-'))
  await cp(join(root, 'test/fixtures/models/tiny-cloud'), join(tmp, 'models/tiny-cloud'), { recursive: true })
  for (const [cls, level] of [
    ['ok', 20],
    ['scratch', 230],
  ] as const) {
    await mkdir(join(tmp, 'data', cls), { recursive: true })
    for (let i = 0; i < 4; i++)
      await sharp({
        create: { width: 32, height: 32, channels: 3, background: { r: level, g: level, b: level } },
      })
        .png()
        .toFile(join(tmp, 'data', cls, `${i}.png`))
  }
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

describe('npm run eval', () => {
  it('writes both reports, prints the fusion table and stores metrics in the manifest', async () => {
    const out = join(tmp, 'out/scaling.json')
    const { stdout } = await run(
      tsx,
      [
        join(root, 'cli/eval.ts'),
        '--model',
        'tiny-cloud',
        '--models-dir',
        join(tmp, 'models'),
        '--data',
        join(tmp, 'data'),
        '--budgets',
        '4,16',
        '--question',
        'is there a scratch?',
        '--compare-question',
        '--out',
        out,
        '--write-manifest',
      ],
      { cwd: root },
    )
    expect(stdout).toMatch(/what fusing "is there a scratch\?" adds/)
    expect(stdout).toMatch(/error\(N\) = c·N\^\(−α\) overall/)
    const plain = scalingReportV1.parse(JSON.parse(await readFile(out, 'utf8')))
    const fused = scalingReportV1.parse(
      JSON.parse(await readFile(join(tmp, 'out/scaling.q-is-there-a-scratch.json'), 'utf8')),
    )
    expect(plain.question).toBeNull()
    expect(fused.question).toBe('is there a scratch?')
    expect(plain.command).toMatch(/^npm run eval -- --model tiny-cloud .*--question 'is there a scratch\?'/)
    const model = await loadModel(join(tmp, 'models/tiny-cloud'))
    expect(Object.keys(model.manifest.metrics).sort()).toEqual(['16', '4'])
    expect(model.manifest.metrics['16']!.accuracy).toBe(plain.points[1]!.accuracy)
    expect(model.manifest.metrics['16']!.samples).toBe(8)
    expect(model.manifest.measuredWith).toBe(plain.command)
  })

  it('exits non-zero with a named problem for a bad budget list', async () => {
    const err = await run(
      tsx,
      [join(root, 'cli/eval.ts'), '--model', 'x', '--data', tmp, '--budgets', '16,abc'],
      {
        cwd: root,
      },
    ).catch((e: { code: number; stderr: string }) => e)
    expect((err as { code: number }).code).toBe(2)
    expect((err as { stderr: string }).stderr).toMatch(/--budgets/)
  })
})
