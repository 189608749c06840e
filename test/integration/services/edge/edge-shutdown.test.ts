/**
 * Issue 14, from the drill: an edge SIGTERMed while cut off from the broker (its Kafka connections
 * accepted, then reset: the drill's proxy) used its whole 15 s shutdown timeout and exited 1,
 * though its outbox on disk was intact. An SRE expects: stop accepting, keep what is committed,
 * exit 0 within a bounded time, and one log line saying how many records wait in the outbox.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log/index.ts'
import { KafkaLinkProxy } from '../../../../scripts/internal/system/kafka-link-proxy.ts'
import { startBroker } from '../../../../services/broker/src/broker.ts'
import { loadConfig } from '../../../../services/broker/src/config.ts'
import { freePort } from '../../lib/messaging/embedded-broker.ts'
import { type EdgeChild, killedEdge, spawnEdge } from './edge-child.ts'
import { images, post, testPolicy, waitUntil } from './edge-fixture.ts'

/** Loopback address the broker advertises and the proxy listens on (as in scripts/internal/system). */
const proxyHost = '127.0.0.2'
const dirs: string[] = []
const tmp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(d)
  return d
}
let closeBroker: () => Promise<void>
let proxy: KafkaLinkProxy
let port: number
let edge: EdgeChild | undefined

beforeAll(async () => {
  port = await freePort()
  const broker = await startBroker(
    {
      ...loadConfig({
        TOKENLINE_DATA_DIR: tmp('tokenline-edge-shutdown-broker-'),
        BROKER_PORT: String(port),
        BROKER_ADVERTISED_HOST: proxyHost,
        LOG_LEVEL: 'silent',
      }),
      httpPort: null,
    },
    createLogger('broker', 'silent'),
  )
  closeBroker = () => broker.close()
  proxy = new KafkaLinkProxy({
    listen: { host: proxyHost, port },
    upstream: { host: '127.0.0.1', port },
  })
  await proxy.start()
}, 60_000)

afterAll(async () => {
  await killedEdge(edge)
  await proxy?.close()
  await closeBroker?.()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('an edge stopped (SIGTERM) while cut off from the broker', () => {
  it('exits 0 well within its shutdown timeout and logs how many records wait in the outbox', async () => {
    const dataDir = tmp('tokenline-edge-shutdown-')
    mkdirSync(join(dataDir, 'edge-edge-1'), { recursive: true })
    const everythingEscalates = testPolicy({
      version: 1,
      escalation: { thresholds: { minConfidence: 1 }, perClass: {}, alwaysEscalate: [], auditRate: 0 },
      deadlineMs: 600_000,
    })
    writeFileSync(join(dataDir, 'edge-edge-1', 'policies.json'), JSON.stringify([everythingEscalates]))
    edge = await spawnEdge({
      TOKENLINE_DATA_DIR: dataDir,
      KAFKA_BROKERS: `${proxyHost}:${port}`,
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      // Each record in a send of its own, as a long cut's backlog makes many sends; and a short
      // back-off, so the relay is in a pass (not asleep) when SIGTERM comes.
      EDGE_RELAY_MAX_SEND_BYTES: '1',
      EDGE_RELAY_MAX_BACKOFF_MS: '100',
    })
    const current = edge
    await waitUntil(
      () => current.lines.some((l) => l.msg === 'policies and verdicts groups joined') || undefined,
      60_000,
      'the edge to join its groups',
    )
    // A steady stream while the link is cut, as in the drill: the relay has records to send.
    proxy.cut('tokenline-edge-')
    const pngs = images(6, 7_600_000)
    for (const png of pngs) expect((await post(current, png)).status).toBe(201)
    // Two unacknowledged sends after the last image: the pass that read only the first rows is
    // over, and the relay is in a pass over every record (12 sends of one record) when SIGTERM comes.
    const postedAt = Date.now()
    await waitUntil(
      () =>
        current.lines.filter(
          (l) => l.msg === 'outbox send not acknowledged; will retry' && (l.time as number) > postedAt,
        ).length >= 2 || undefined,
      30_000,
      'two failed sends after the last image',
    )
    await new Promise((r) => setTimeout(r, 300))
    const started = performance.now()
    current.child.kill('SIGTERM')
    const exit = await current.exited
    const tookMs = performance.now() - started
    console.info(`SIGTERM while cut off → exit ${exit.code} after ${Math.round(tookMs)} ms`)
    const stopped = current.lines.find((l) => l.msg === 'edge stopped')
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null })
    expect(tookMs).toBeLessThan(10_000)
    // 6 inspections, each a result and an escalation, none acknowledged by Kafka.
    expect(stopped).toMatchObject({ outboxRows: 12 })
    expect(current.lines.filter((l) => l.msg === 'shutdown timed out')).toEqual([])
  }, 120_000)
})
