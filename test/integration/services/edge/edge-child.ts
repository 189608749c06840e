import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

export type EdgeChild = {
  child: ChildProcess
  /** Every JSON log line the child wrote so far. */
  lines: Record<string, unknown>[]
  url: string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** `services/edge/src/main.ts` as its own process (log level info), so it can be `kill -9`ed or SIGTERMed. */
export function spawnEdge(env: Record<string, string>): Promise<EdgeChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/edge/src/main.ts'], {
    env: { ...process.env, EDGE_PORT: '0', EDGE_LINES: 'plant-1/line-a', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines: Record<string, unknown>[] = []
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('edge child did not start within 60 s')), 60_000)
    void exited.then(({ code }) => reject(new Error(`edge child exited with ${code} before it was ready`)))
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: Record<string, unknown>
      try {
        line = JSON.parse(text) as Record<string, unknown>
      } catch {
        return
      }
      lines.push(line)
      if (line.msg === 'edge node ready') {
        clearTimeout(timer)
        resolve({ child, lines, url: `http://127.0.0.1:${line.port as number}`, exited })
      }
    })
  })
}

export function killedEdge(edge: EdgeChild | undefined): Promise<void> {
  if (!edge || edge.child.exitCode !== null || edge.child.signalCode !== null) return Promise.resolve()
  edge.child.kill('SIGKILL')
  return edge.exited.then(() => undefined)
}
