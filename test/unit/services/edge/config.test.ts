import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../lib/config/index.ts'
import { loadConfig } from '../../../../services/edge/src/config.ts'

describe('edge loadConfig', () => {
  it('has working defaults: node edge-1 serving the demo line, embedded broker, demo camera off', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({
      port: 7070,
      nodeId: 'edge-1',
      lines: [{ plantId: 'demo-plant', lineId: 'demo-line' }],
      kafkaBrokers: ['127.0.0.1:9092'],
      databaseUrl: undefined,
      demoRate: 0,
      demoLine: 'demo-line',
      queueMax: 64,
      concurrency: 4,
    })
    expect(c.inference.INFERENCE_MAX_BATCH).toBe(32)
  })

  it('parses several lines of one or more plants', () => {
    const c = loadConfig({ EDGE_LINES: 'p1/press-1, p1/press-2,p2/x', EDGE_DEMO_LINE: 'press-2' })
    expect(c.lines).toEqual([
      { plantId: 'p1', lineId: 'press-1' },
      { plantId: 'p1', lineId: 'press-2' },
      { plantId: 'p2', lineId: 'x' },
    ])
    expect(c.demoLine).toBe('press-2')
  })

  it('lists every bad value at once, naming the variable, the value and what is expected', () => {
    let err: unknown
    try {
      loadConfig({
        EDGE_LINES: 'no-slash',
        EDGE_QUEUE_MAX: '0',
        EDGE_DEMO_RATE: '-1',
        EDGE_DATABASE_URL: 'mysql://x',
        EDGE_PORT: '70000',
      })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    const message = (err as Error).message
    for (const name of ['EDGE_LINES', 'EDGE_QUEUE_MAX', 'EDGE_DEMO_RATE', 'EDGE_DATABASE_URL', 'EDGE_PORT'])
      expect(message).toContain(name)
    expect(message).toContain('"no-slash"')
  })

  it('refuses a line served twice and a demo line it does not serve', () => {
    expect(() => loadConfig({ EDGE_LINES: 'p/a,q/a' })).toThrow(/each line once/)
    expect(() => loadConfig({ EDGE_LINES: 'p/a', EDGE_DEMO_LINE: 'b' })).toThrow(
      /EDGE_DEMO_LINE: expected one of the served lines a/,
    )
  })
})
