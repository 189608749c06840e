import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Broker, startBroker } from '../../../../services/broker/src/broker.ts'
import { loadConfig } from '../../../../services/broker/src/config.ts'

export type TestBroker = { broker: Broker; dataDir: string; close: () => Promise<void> }

/** A broker on a free port with its own temporary data directory. */
export async function startTestBroker(env: Record<string, string> = {}): Promise<TestBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tokenline-broker-'))
  const broker = await startBroker(
    loadConfig({
      BROKER_PORT: '0',
      BROKER_HTTP_PORT: '0',
      TOKENLINE_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      BROKER_GROUP_MIN_SESSION_TIMEOUT_MS: '1000',
      ...env,
    }),
  )
  return {
    broker,
    dataDir,
    close: async () => {
      await broker.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * Kafka's default partitioner hash (murmur2, seed 0x9747b28c), as in the Java client's
 * `Utils.murmur2`; the partition is `(hash & 0x7fffffff) % partitions`.
 */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995
  const r = 24
  const length = data.length
  let h = (0x9747b28c ^ length) | 0
  const length4 = Math.floor(length / 4)
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4
    let k =
      (data[i4]! & 0xff) +
      ((data[i4 + 1]! & 0xff) << 8) +
      ((data[i4 + 2]! & 0xff) << 16) +
      ((data[i4 + 3]! & 0xff) << 24)
    k = Math.imul(k, m)
    k ^= k >>> r
    k = Math.imul(k, m)
    h = Math.imul(h, m)
    h ^= k
  }
  const rest = length % 4
  const base = length & ~3
  if (rest === 3) h ^= (data[base + 2]! & 0xff) << 16
  if (rest >= 2) h ^= (data[base + 1]! & 0xff) << 8
  if (rest >= 1) {
    h ^= data[base]! & 0xff
    h = Math.imul(h, m)
  }
  h ^= h >>> 13
  h = Math.imul(h, m)
  h ^= h >>> 15
  return h | 0
}

export const partitionFor = (key: string, partitions: number) =>
  (murmur2(Buffer.from(key)) & 0x7fffffff) % partitions

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
