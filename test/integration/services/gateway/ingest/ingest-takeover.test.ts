/**
 * Issue 14 follow-up, from the fault drill: a gateway restarted after kill -9 resumed ingest only
 * ~18 s later (24 s in the short drill), because its dead members kept their partitions for the
 * consumers' 30 s session timeout (kafkajs has no static membership). The ingest's groups now
 * join with GATEWAY_SESSION_TIMEOUT_MS (default 10 s), so the next gateway takes over after that.
 *
 * A real gateway process (`services/gateway/src/main.ts`, default settings, PGlite) joins its four
 * groups and is killed -9; another ingest in this process then stores a result published after
 * the kill. Measured: kill → stored.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStorage, type Storage } from '../../../../../lib/db/index.ts'
import { type Messaging, resultV1 } from '../../../../../lib/messaging/index.ts'
import { loadConfig } from '../../../../../services/gateway/src/config.ts'
import { GatewayEvents } from '../../../../../services/gateway/src/events/gateway-events.ts'
import { KafkaIngest } from '../../../../../services/gateway/src/ingest/kafka.ingest.ts'
import { startTestBroker, type TestBroker } from '../../../lib/messaging/embedded-broker.ts'
import { result, silent, testMessaging, waitUntil } from './ingest-fixture.ts'

const root = resolve(import.meta.dirname, '../../../../..')
/** The session timeout the ingest's groups had before GATEWAY_SESSION_TIMEOUT_MS (lib/messaging's default), ms. */
const formerSessionTimeoutMs = 30_000

let broker: TestBroker
let storage: Storage
let messaging: Messaging
let child: ChildProcess | undefined
let ingest: KafkaIngest | undefined
const dataDir = mkdtempSync(join(tmpdir(), 'tokenline-gateway-takeover-'))

beforeAll(async () => {
  broker = await startTestBroker()
  messaging = await testMessaging(broker.brokers)
  storage = await openStorage({ driver: 'pglite-memory' })
  await storage.lines.upsert({ id: 'line-a', plantId: 'plant-1', name: 'Line A' })
}, 60_000)

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  await ingest?.close()
  await messaging?.close()
  await storage?.close()
  await broker?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

/** The gateway as its own process with its default settings; resolves once its ingest joined every group. */
function spawnGateway(): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TOKENLINE_DATA_DIR: dataDir,
    KAFKA_BROKERS: broker.brokers.join(','),
    GATEWAY_PORT: '0',
    LOG_LEVEL: 'info',
  }
  delete env.DATABASE_URL
  delete env.GATEWAY_SESSION_TIMEOUT_MS
  const gateway = spawn(process.execPath, ['--import', 'tsx', 'services/gateway/src/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error('the gateway did not join its groups within 90 s')), 90_000)
    gateway.once('exit', (code) => fail(new Error(`the gateway exited with ${code} before it joined`)))
    createInterface({ input: gateway.stdout! }).on('line', (text) => {
      if (text.includes('ingest consuming results, verdicts and escalations')) {
        clearTimeout(timer)
        done(gateway)
      }
    })
  })
}

describe('a gateway killed -9 while its ingest owns every partition', () => {
  it('hands its partitions to the next ingest well before the former 30 s session timeout', async () => {
    child = await spawnGateway()
    child.kill('SIGKILL')
    await new Promise((done) => child!.once('exit', done))
    const killed = performance.now()

    ingest = new KafkaIngest({
      brokers: broker.brokers,
      storage,
      events: new GatewayEvents(),
      log: silent,
      sessionTimeoutMs: loadConfig({}).sessionTimeoutMs,
    })
    ingest.start()
    const r = result({ capturedAt: new Date().toISOString() })
    await messaging.producer.publish(resultV1, r.lineId, r)
    await waitUntil(
      () => storage.inspections.get(r.inspectionId),
      formerSessionTimeoutMs + 60_000,
      'the result stored by the next ingest',
    )
    const takeoverMs = performance.now() - killed
    console.info(`gateway kill -9 → next ingest stored a result: ${Math.round(takeoverMs)} ms`)
    expect(takeoverMs).toBeLessThan((formerSessionTimeoutMs * 2) / 3)
  }, 240_000)
})
