import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../../../lib/log/index.ts'
import { freePort as freePortOn } from '../../../../scripts/internal/free-port.ts'
import { startBroker } from '../../../../services/broker/src/broker.ts'
import { loadConfig } from '../../../../services/broker/src/config.ts'

export type TestBroker = { brokers: string[]; close: () => Promise<void> }

export type TestBrokerOptions = {
  /** Log directory kept on close, so a broker started again over it finds the same log; default a fresh temp dir removed on close. */
  dataDir?: string
  /** More broker settings as env vars, e.g. `{ BROKER_GROUP_MIN_SESSION_TIMEOUT_MS: '1000' }`. */
  env?: Record<string, string>
}

/** The embedded broker in this process, on `port` (0 = any free one), with its log in a fresh temp dir. */
export async function startTestBroker(port = 0, options: TestBrokerOptions = {}): Promise<TestBroker> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tokenline-messaging-'))
  const config = {
    ...loadConfig({
      TOKENLINE_DATA_DIR: dataDir,
      BROKER_PORT: String(port),
      LOG_LEVEL: 'silent',
      ...options.env,
    }),
    httpPort: null,
  }
  const broker = await startBroker(config, createLogger('broker', 'silent'))
  return {
    brokers: [broker.bootstrap],
    close: async () => {
      await broker.close()
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export function freePort(): Promise<number> {
  return freePortOn('127.0.0.1')
}
