import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  ConfigError,
  commonEnvShape,
  databaseUrlVar,
  kafkaBrokersVar,
  logLevelVar,
  parseEnv,
  portVar,
  positiveIntVar,
} from '../../../../lib/config/index.ts'

const shape = z.object({
  ...commonEnvShape,
  GATEWAY_PORT: portVar(4000),
  BATCH: positiveIntVar(8, 'a positive batch size'),
  KAFKA_BROKERS: kafkaBrokersVar,
  DATABASE_URL: databaseUrlVar,
})

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseEnv(shape, env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).code).toBe('CONFIG_INVALID')
    return (err as ConfigError).problems
  }
  throw new Error('expected a ConfigError')
}

describe('parseEnv', () => {
  it('applies defaults and treats empty strings as unset', () => {
    const config = parseEnv(shape, { GATEWAY_PORT: '', LOG_LEVEL: '' })
    expect(config).toEqual({
      LOG_LEVEL: 'info',
      TOKENLINE_DATA_DIR: './data',
      TOKENLINE_BIND_HOST: '127.0.0.1',
      GATEWAY_PORT: 4000,
      BATCH: 8,
      KAFKA_BROKERS: undefined,
      DATABASE_URL: undefined,
    })
  })

  it('coerces and transforms valid values', () => {
    const config = parseEnv(shape, {
      GATEWAY_PORT: '0',
      BATCH: '32',
      KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9093',
      DATABASE_URL: 'postgresql://u@db:5432/tokenline',
      LOG_LEVEL: 'debug',
    })
    expect(config.GATEWAY_PORT).toBe(0)
    expect(config.BATCH).toBe(32)
    expect(config.KAFKA_BROKERS).toEqual(['kafka-1:9092', 'kafka-2:9093'])
    expect(config.DATABASE_URL).toBe('postgresql://u@db:5432/tokenline')
    expect(config.LOG_LEVEL).toBe('debug')
  })

  it('lists every problem at once with the variable, the value and the expectation', () => {
    const problems = problemsOf({
      GATEWAY_PORT: '70000',
      BATCH: '-3',
      KAFKA_BROKERS: 'localhost',
      DATABASE_URL: 'mysql://x',
      LOG_LEVEL: 'loud',
    })
    expect(problems).toHaveLength(5)
    expect(problems).toContain('GATEWAY_PORT: expected an integer port 0–65535; received "70000"')
    expect(problems).toContain('BATCH: expected a positive batch size; received "-3"')
    expect(problems.find((p) => p.startsWith('KAFKA_BROKERS'))).toMatch(
      /expected host:port\[,host:port…\]; received "localhost"/,
    )
    expect(problems).toContain(
      'DATABASE_URL: expected a postgres:// or postgresql:// URL; received "mysql://x"',
    )
    expect(problems.find((p) => p.startsWith('LOG_LEVEL'))).toContain('received "loud"')
  })

  it('rejects non-numeric and fractional ports', () => {
    expect(problemsOf({ GATEWAY_PORT: 'http' })).toEqual([
      'GATEWAY_PORT: expected an integer port 0–65535; received "http"',
    ])
    expect(problemsOf({ GATEWAY_PORT: '80.5' })).toEqual([
      'GATEWAY_PORT: expected an integer port 0–65535; received "80.5"',
    ])
  })

  it('ignores variables the schema does not name', () => {
    expect(parseEnv(z.object({ LOG_LEVEL: logLevelVar }), { PATH: '/bin', LOG_LEVEL: 'warn' })).toEqual({
      LOG_LEVEL: 'warn',
    })
  })

  it('puts one problem per line in the message', () => {
    const err = new ConfigError(['A: bad', 'B: worse'])
    expect(err.message).toBe('invalid configuration:\n  - A: bad\n  - B: worse')
  })
})
