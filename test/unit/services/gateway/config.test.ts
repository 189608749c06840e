import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../lib/config/index.ts'
import { loadConfig } from '../../../../services/gateway/src/config.ts'

describe('gateway loadConfig', () => {
  it('defaults to 127.0.0.1:4000 with embedded PGlite under ./data', () => {
    expect(loadConfig({})).toEqual({
      host: '127.0.0.1',
      port: 4000,
      logLevel: 'info',
      dataDir: './data',
      databaseUrl: undefined,
      kafkaBrokers: undefined,
      modelsDir: './models',
      maxRequestBytes: 65_536,
      maxPageSize: 100,
      databaseConnectAttempts: 10,
      demo: false,
      maxDepth: 10,
      maxAliases: 30,
      maxComplexity: 20_000,
      requestTimeoutMs: 5000,
      introspection: false,
      adminKey: undefined,
      replayMaxMs: 10_000,
      rateLimitPerSecond: 50,
      rateLimitBurst: 100,
      maxSubmitBytes: 4 * 1024 * 1024,
      edgeUrl: undefined,
      edgeTimeoutMs: 30_000,
      sessionTimeoutMs: 10_000,
      responseCacheMs: 1000,
    })
  })

  it('reads GATEWAY_SESSION_TIMEOUT_MS and refuses less than 1000 ms', () => {
    expect(loadConfig({ GATEWAY_SESSION_TIMEOUT_MS: '30000' }).sessionTimeoutMs).toBe(30_000)
    for (const bad of ['999', '0', '-1', 'soon']) {
      expect(() => loadConfig({ GATEWAY_SESSION_TIMEOUT_MS: bad }), bad).toThrow(/GATEWAY_SESSION_TIMEOUT_MS/)
    }
  })

  it('reads GATEWAY_RESPONSE_CACHE_MS (0 turns the cache off) and refuses negative, fractional or over-a-minute values', () => {
    expect(loadConfig({ GATEWAY_RESPONSE_CACHE_MS: '0' }).responseCacheMs).toBe(0)
    expect(loadConfig({ GATEWAY_RESPONSE_CACHE_MS: '250' }).responseCacheMs).toBe(250)
    for (const bad of ['-1', '1.5', '60001', 'soon']) {
      expect(() => loadConfig({ GATEWAY_RESPONSE_CACHE_MS: bad }), bad).toThrow(/GATEWAY_RESPONSE_CACHE_MS/)
    }
  })

  it('reads every variable', () => {
    const config = loadConfig({
      GATEWAY_PORT: '0',
      TOKENLINE_BIND_HOST: '0.0.0.0',
      DATABASE_URL: 'postgresql://u@db:5432/tokenline',
      KAFKA_BROKERS: 'k1:9092, k2:9092',
      TOKENLINE_DATA_DIR: '/var/lib/tokenline',
      TOKENLINE_MODELS_DIR: '/srv/models',
      GATEWAY_MAX_REQUEST_BYTES: '1024',
      GATEWAY_MAX_PAGE_SIZE: '500',
      DATABASE_CONNECT_ATTEMPTS: '3',
      GATEWAY_DEMO: 'true',
      LOG_LEVEL: 'debug',
    })
    expect(config).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      databaseUrl: 'postgresql://u@db:5432/tokenline',
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      modelsDir: '/srv/models',
      maxRequestBytes: 1024,
      maxPageSize: 500,
      databaseConnectAttempts: 3,
      demo: true,
      logLevel: 'debug',
    })
  })

  it('reads the access, rate limit and edge variables', () => {
    expect(
      loadConfig({
        GATEWAY_ADMIN_KEY: `tl_${'k'.repeat(40)}`,
        GATEWAY_RATE_LIMIT_PER_SECOND: '0.5',
        GATEWAY_RATE_LIMIT_BURST: '7',
        GATEWAY_MAX_SUBMIT_BYTES: '1000',
        GATEWAY_EDGE_URL: 'http://127.0.0.1:7070/',
        GATEWAY_EDGE_TIMEOUT_MS: '2500',
      }),
    ).toMatchObject({
      adminKey: `tl_${'k'.repeat(40)}`,
      rateLimitPerSecond: 0.5,
      rateLimitBurst: 7,
      maxSubmitBytes: 1000,
      edgeUrl: 'http://127.0.0.1:7070',
      edgeTimeoutMs: 2500,
    })
    let error: unknown
    try {
      loadConfig({
        GATEWAY_RATE_LIMIT_PER_SECOND: '-1',
        GATEWAY_EDGE_URL: 'edge:7070',
        GATEWAY_ADMIN_KEY: 'short',
      })
    } catch (err) {
      error = err
    }
    expect([...(error as ConfigError).problems].sort()).toEqual([
      'GATEWAY_ADMIN_KEY: expected 24–200 characters of A–Z, a–z, 0–9, _ or -; received "short"',
      'GATEWAY_EDGE_URL: expected an http:// or https:// URL of an edge node; received "edge:7070"',
      'GATEWAY_RATE_LIMIT_PER_SECOND: expected a number of requests per second >= 0 (0 = no limit); received "-1"',
    ])
  })

  it('lists every problem at once, naming the variable and the bad value', () => {
    let error: unknown
    try {
      loadConfig({
        GATEWAY_PORT: '70000',
        DATABASE_URL: 'mysql://db/x',
        GATEWAY_MAX_PAGE_SIZE: '5000',
        GATEWAY_MAX_REQUEST_BYTES: '-1',
        LOG_LEVEL: 'loud',
      })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    const problems = (error as ConfigError).problems
    expect(problems).toHaveLength(5)
    for (const [name, value] of [
      ['GATEWAY_PORT', '70000'],
      ['DATABASE_URL', 'mysql://db/x'],
      ['GATEWAY_MAX_PAGE_SIZE', '5000'],
      ['GATEWAY_MAX_REQUEST_BYTES', '-1'],
      ['LOG_LEVEL', 'loud'],
    ]) {
      expect(problems.find((p) => p.startsWith(`${name}:`))).toContain(JSON.stringify(value))
    }
  })
})
