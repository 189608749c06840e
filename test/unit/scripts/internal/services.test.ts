import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { planServices } from '../../../../scripts/internal/services.ts'
import { loadStartConfig } from '../../../../scripts/internal/start.config.ts'

const root = mkdtempSync(join(tmpdir(), 'tokenline-plan-'))
for (const name of ['broker', 'gateway']) {
  mkdirSync(join(root, 'services', name, 'src'), { recursive: true })
  writeFileSync(join(root, 'services', name, 'src', 'main.ts'), '')
}
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('planServices', () => {
  it('starts broker, gateway, cloud, edge in that order, skipping what does not exist', () => {
    const plan = planServices(root, loadStartConfig({}))
    expect(plan.map((s) => [s.name, s.skipped ?? 'start'])).toEqual([
      ['broker', 'start'],
      ['gateway', 'start'],
      ['cloud', 'services/cloud/src/main.ts does not exist in this checkout yet'],
      ['edge', 'services/edge/src/main.ts does not exist in this checkout yet'],
    ])
  })

  it('does not run the embedded broker when KAFKA_BROKERS is set', () => {
    const plan = planServices(root, loadStartConfig({ KAFKA_BROKERS: 'kafka-1:9092,kafka-2:9092' }))
    expect(plan[0]).toMatchObject({
      name: 'broker',
      skipped: 'KAFKA_BROKERS is set (kafka-1:9092,kafka-2:9092)',
    })
  })
})

describe('loadStartConfig', () => {
  it('uses the documented default ports and timeouts', () => {
    expect(loadStartConfig({})).toMatchObject({
      BROKER_PORT: 9092,
      BROKER_HTTP_PORT: 9093,
      GATEWAY_PORT: 4000,
      EDGE_PORT: 7070,
      CLOUD_PORT: 7080,
      START_READY_TIMEOUT_MS: 60_000,
      START_STOP_TIMEOUT_MS: 20_000,
    })
  })

  it('lists every bad value at once', () => {
    let problems: string[] = []
    try {
      loadStartConfig({ EDGE_PORT: '99999', START_READY_TIMEOUT_MS: '0', KAFKA_BROKERS: 'nohost' })
    } catch (err) {
      problems = (err as { problems: string[] }).problems
    }
    expect(problems).toHaveLength(3)
    expect(problems).toContain('EDGE_PORT: expected an integer port 0–65535; received "99999"')
    expect(problems).toContain(
      'START_READY_TIMEOUT_MS: expected a positive number of milliseconds; received "0"',
    )
    expect(problems.some((p) => p.startsWith('KAFKA_BROKERS'))).toBe(true)
  })
})
