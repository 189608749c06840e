import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../lib/config/index.ts'
import { loadConfig } from '../../../../services/cloud/src/config.ts'

const defaults = { instanceId: 'host-1' }

describe('cloud loadConfig', () => {
  it('has documented defaults: cuda then cpu, batch 16, delay 5 ms, the embedded broker', () => {
    const config = loadConfig({}, defaults)
    expect(config).toMatchObject({
      port: 7080,
      kafkaBrokers: ['127.0.0.1:9092'],
      models: ['cloud-vit-m'],
      modelsDir: './models',
      groupId: 'tokenline-cloud',
      instanceId: 'host-1',
      maxBatch: 16,
      maxDelayMs: 5,
      partitionsConcurrently: 6,
      fetchMaxWaitMs: 100,
      sessionTimeoutMs: 10_000,
      defaultCostPer1kTokens: 0,
      drillCommitDelayMs: 0,
      dedupWindowMs: 86_400_000,
      pool: { workers: 1, intraOpNumThreads: 1, executionProviders: ['cuda', 'cpu'] },
    })
  })

  it('reads every CLOUD_* knob', () => {
    const config = loadConfig(
      {
        KAFKA_BROKERS: 'k1:9092,k2:9092',
        CLOUD_PORT: '0',
        CLOUD_MODELS: 'a, b',
        CLOUD_GROUP_ID: 'g',
        CLOUD_INSTANCE_ID: 'cloud-7',
        CLOUD_MAX_BATCH: '32',
        CLOUD_MAX_DELAY_MS: '0',
        CLOUD_PARTITIONS_CONCURRENTLY: '6',
        CLOUD_SESSION_TIMEOUT_MS: '6000',
        CLOUD_DEFAULT_COST_PER_1K_TOKENS: '0.25',
        CLOUD_DEDUP_MAX_ENTRIES: '10',
        INFERENCE_EXECUTION_PROVIDERS: 'cpu',
        INFERENCE_WORKERS: '2',
      },
      defaults,
    )
    expect(config).toMatchObject({
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      port: 0,
      models: ['a', 'b'],
      groupId: 'g',
      instanceId: 'cloud-7',
      maxBatch: 32,
      maxDelayMs: 0,
      partitionsConcurrently: 6,
      sessionTimeoutMs: 6000,
      defaultCostPer1kTokens: 0.25,
      dedupMaxEntries: 10,
      pool: { workers: 2, executionProviders: ['cpu'] },
    })
  })

  it('reports every bad variable at once with the value received', () => {
    try {
      loadConfig(
        {
          CLOUD_MAX_BATCH: '0',
          CLOUD_SESSION_TIMEOUT_MS: '500',
          CLOUD_DEFAULT_COST_PER_1K_TOKENS: '-1',
          INFERENCE_EXECUTION_PROVIDERS: 'gpu',
          CLOUD_INSTANCE_ID: 'has spaces',
        },
        defaults,
      )
      throw new Error('expected a ConfigError')
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      const message = (err as Error).message
      expect(message).toMatch(/CLOUD_MAX_BATCH: expected a positive batch size in images; received "0"/)
      expect(message).toMatch(/CLOUD_SESSION_TIMEOUT_MS: expected at least 1000 ms; received "500"/)
      expect(message).toMatch(/CLOUD_DEFAULT_COST_PER_1K_TOKENS: expected a price >= 0; received "-1"/)
      expect(message).toMatch(/INFERENCE_EXECUTION_PROVIDERS: .*received "gpu"/)
      expect(message).toMatch(/CLOUD_INSTANCE_ID: .*received "has spaces"/)
    }
  })
})
