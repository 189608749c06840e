import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/** `services/broker/src/main.ts` as its own process on a fixed port, so it can be `kill -9`ed and restarted in place. */
export function spawnBroker(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/broker/src/main.ts'], {
    env: {
      ...process.env,
      BROKER_PORT: String(port),
      BROKER_HTTP_PORT: '0',
      TOKENLINE_DATA_DIR: dataDir,
      BROKER_GROUP_MIN_SESSION_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('broker child did not start within 30 s')), 30_000)
    child.once('exit', (code) => reject(new Error(`broker child exited with ${code} before listening`)))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('broker listening')) return
      clearTimeout(timer)
      resolve(child)
    })
  })
}

export function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}
