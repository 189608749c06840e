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
      executionProviders: ['cpu'],
    })
  })

  it('reads INFERENCE_EXECUTION_PROVIDERS as an ordered list', () => {
    const env = parseEnv(schema, { INFERENCE_EXECUTION_PROVIDERS: ' CUDA, cpu ' })
    expect(poolOptionsFromEnv(env).executionProviders).toEqual(['cuda', 'cpu'])
  })

  it('refuses an unknown, empty or repeated execution provider, naming the variable', () => {
    for (const value of ['gpu', 'cuda,,gpu', ',', 'cpu,cpu']) {
      try {
        parseEnv(schema, { INFERENCE_EXECUTION_PROVIDERS: value })
        throw new Error(`expected a ConfigError for ${value}`)
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError)
        expect((err as Error).message).toMatch(
          /INFERENCE_EXECUTION_PROVIDERS: expected a comma-separated list/,
        )
      }
    }
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
