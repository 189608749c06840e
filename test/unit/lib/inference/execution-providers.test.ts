import { join } from 'node:path'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { InferenceError } from '../../../../lib/inference/errors.ts'
import { InferencePool } from '../../../../lib/inference/inference.pool.ts'
import { loadModel } from '../../../../lib/inference/model.loader.ts'

const fixtures = join(import.meta.dirname, '../../../fixtures/models')

/** A pino logger that keeps every warning it is given. */
function recordingLogger() {
  const warnings: { msg: string; provider?: string }[] = []
  const logger = pino(
    { level: 'warn' },
    {
      write(line: string) {
        const entry = JSON.parse(line) as { level: number; msg: string; provider?: string }
        if (entry.level === 40) warnings.push(entry)
      },
    },
  )
  return { logger, warnings }
}

// This machine has no GPU and onnxruntime-node finds no CUDA libraries: these tests exercise the
// fallback path. `dml` is Windows-only, so it fails to load on every Linux/macOS machine.
describe('InferencePool execution providers', () => {
  it('runs on the first provider that loads and logs a warning for each one skipped', async () => {
    const model = await loadModel(join(fixtures, 'tiny-cloud'))
    const { logger, warnings } = recordingLogger()
    const pool = await InferencePool.start([model], { executionProviders: ['dml', 'cpu'], logger })
    try {
      expect(pool.stats().executionProviders).toEqual({ 'tiny-cloud': 'cpu' })
      expect(warnings.some((w) => w.provider === 'dml' && /falling back to cpu/.test(w.msg))).toBe(true)
      const r = await pool.infer({ model: 'tiny-cloud', budget: 4, tokens: new Float32Array(4 * 16) })
      expect(r.images).toHaveLength(1)
    } finally {
      await pool.close()
    }
  })

  it('cuda then cpu: runs on one of them, on cpu with a warning when there is no GPU', async () => {
    const model = await loadModel(join(fixtures, 'tiny-cloud'))
    const { logger, warnings } = recordingLogger()
    const pool = await InferencePool.start([model], { executionProviders: ['cuda', 'cpu'], logger })
    try {
      const running = pool.stats().executionProviders['tiny-cloud']
      expect(['cuda', 'cpu']).toContain(running)
      if (running === 'cpu') expect(warnings.some((w) => w.provider === 'cuda')).toBe(true)
    } finally {
      await pool.close()
    }
  })

  it('fails to start with INFERENCE_SESSION_FAILED naming every provider when none loads', async () => {
    const model = await loadModel(join(fixtures, 'tiny-cloud'))
    const err = await InferencePool.start([model], { executionProviders: ['dml'] }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(InferenceError)
    expect((err as InferenceError).code).toBe('INFERENCE_SESSION_FAILED')
    expect((err as InferenceError).message).toMatch(/no execution provider could load it: dml: /)
  })

  it('defaults to the cpu alone', async () => {
    const model = await loadModel(join(fixtures, 'tiny-cloud'))
    const pool = await InferencePool.start([model])
    try {
      expect(pool.stats().executionProviders).toEqual({ 'tiny-cloud': 'cpu' })
    } finally {
      await pool.close()
    }
  })
})
