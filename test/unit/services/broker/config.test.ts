import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../lib/config/index.ts'
import { loadConfig } from '../../../../services/broker/src/config.ts'

describe('broker loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 9092,
      httpPort: 9093,
      advertisedHost: '127.0.0.1',
      dataDir: './data/broker',
      fsync: 'interval',
      fsyncIntervalMs: 1000,
      defaultPartitions: 3,
      autoCreateTopics: true,
      retentionBytes: -1,
      maxRequestBytes: 100 * 1024 * 1024,
      groupMinSessionTimeoutMs: 6000,
    })
  })

  it('reads overrides and advertises 127.0.0.1 when binding every interface', () => {
    const c = loadConfig({
      BROKER_PORT: '0',
      TOKENLINE_BIND_HOST: '0.0.0.0',
      TOKENLINE_DATA_DIR: '/var/lib/tokenline/',
      BROKER_FSYNC: 'always',
      BROKER_AUTO_CREATE_TOPICS: 'false',
      BROKER_RETENTION_MS: '-1',
    })
    expect(c).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      advertisedHost: '127.0.0.1',
      dataDir: '/var/lib/tokenline/broker',
    })
    expect(c).toMatchObject({ fsync: 'always', autoCreateTopics: false, retentionMs: -1 })
    expect(loadConfig({ BROKER_ADVERTISED_HOST: 'broker.plant-7' }).advertisedHost).toBe('broker.plant-7')
  })

  it('reports every bad variable at once, naming the value and what is expected', () => {
    let err: unknown
    try {
      loadConfig({ BROKER_PORT: '70000', BROKER_FSYNC: 'sometimes', BROKER_DEFAULT_PARTITIONS: '0' })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    const message = (err as Error).message
    expect(message).toMatch(/BROKER_PORT: expected an integer port 0–65535; received "70000"/)
    expect(message).toMatch(/BROKER_FSYNC: expected always, interval or never; received "sometimes"/)
    expect(message).toMatch(/BROKER_DEFAULT_PARTITIONS/)
  })
})
