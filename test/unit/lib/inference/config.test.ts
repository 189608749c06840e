import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ConfigError, parseEnv } from '../../../../lib/config/index.ts'
import { inferencePoolEnvShape, poolOptionsFromEnv } from '../../../../lib/inference/config.ts'

const schema = z.object(inferencePoolEnvShape)

describe('inferencePoolEnvShape', () => {
  it('has documented defaults', () => {
    expect(poolOptionsFromEnv(parseEnv(schema, {}))).toEqual({
      workers: 1,
      intraOpNumThreads: 1,
      maxBatch: 32,
      maxDelayMs: 2,
      maxQueuedImages: 4096,
    })
  })

  it('reports every bad variable at once', () => {
    try {
      parseEnv(schema, { INFERENCE_WORKERS: '0', INFERENCE_MAX_DELAY_MS: '-1', INFERENCE_MAX_BATCH: 'x' })
      throw new Error('expected a ConfigError')
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      const msg = (err as Error).message
      expect(msg).toMatch(/INFERENCE_WORKERS/)
      expect(msg).toMatch(/INFERENCE_MAX_DELAY_MS/)
      expect(msg).toMatch(/INFERENCE_MAX_BATCH/)
    }
  })
})
