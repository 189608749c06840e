import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../lib/config/index.ts'
import { loadConfig } from '../../../../services/gateway/src/config.ts'

describe('gateway limits config', () => {
  it('reads the depth, alias, cost, deadline and introspection settings', () => {
    expect(
      loadConfig({
        GATEWAY_MAX_DEPTH: '6',
        GATEWAY_MAX_ALIASES: '4',
        GATEWAY_MAX_COMPLEXITY: '500',
        GATEWAY_REQUEST_TIMEOUT_MS: '250',
        GATEWAY_INTROSPECTION: 'true',
      }),
    ).toMatchObject({
      maxDepth: 6,
      maxAliases: 4,
      maxComplexity: 500,
      requestTimeoutMs: 250,
      introspection: true,
    })
  })

  it('names every bad value at once', () => {
    const load = () =>
      loadConfig({
        GATEWAY_MAX_DEPTH: '0',
        GATEWAY_MAX_ALIASES: 'many',
        GATEWAY_MAX_COMPLEXITY: '-1',
        GATEWAY_REQUEST_TIMEOUT_MS: '1.5',
        GATEWAY_INTROSPECTION: 'yes',
      })
    expect(load).toThrow(ConfigError)
    try {
      load()
    } catch (err) {
      for (const name of [
        'GATEWAY_MAX_DEPTH',
        'GATEWAY_MAX_ALIASES',
        'GATEWAY_MAX_COMPLEXITY',
        'GATEWAY_REQUEST_TIMEOUT_MS',
        'GATEWAY_INTROSPECTION',
      ]) {
        expect((err as Error).message).toContain(name)
      }
    }
  })
})
