import { spawn, spawnSync } from 'node:child_process'
import { connect } from 'node:net'

/**
 * Throws a clear error when an external client is not installed (instead of a test that hangs or
 * fails obscurely). `.ci/run` installs kcat and python3-confluent-kafka from Debian.
 */
export function requireTool(cmd: string, probe: string[], install: string): void {
  const r = spawnSync(cmd, probe, { timeout: 10_000, encoding: 'utf8' })
  if (r.error || r.status !== 0)
    throw new Error(
      `expected \`${cmd} ${probe.join(' ')}\` to succeed, received ${r.error?.message ?? `exit ${r.status}: ${r.stderr}`}; install ${install} (.ci/run does)`,
    )
}

/** Runs a command with `input` on stdin; resolves with stdout, rejects on a non-zero exit or after `timeoutMs`. */
export function runTool(cmd: string, args: string[], input = '', timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    child.stderr.on('data', (d) => {
      err += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(out)
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}: ${err}`))
    })
    child.stdin.end(input)
  })
}

export const lines = (s: string) => s.split('\n').filter(Boolean)

/** One raw request over a fresh connection (header v1, client id "raw"); resolves with the body after the correlation id. */
export function rawRequest(port: number, apiKey: number, version: number, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const clientId = Buffer.from('raw')
    const head = Buffer.alloc(14 + clientId.length)
    head.writeInt32BE(head.length - 4 + body.length, 0)
    head.writeInt16BE(apiKey, 4)
    head.writeInt16BE(version, 6)
    head.writeInt32BE(7, 8)
    head.writeInt16BE(clientId.length, 12)
    clientId.copy(head, 14)
    let buf = Buffer.alloc(0)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no response to api ${apiKey} v${version} within 10 s`))
    }, 10_000)
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d])
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        clearTimeout(timer)
        socket.destroy()
        resolve(buf.subarray(8, 4 + buf.readInt32BE(0)))
      }
    })
    socket.on('error', reject)
    socket.on('connect', () => socket.write(Buffer.concat([head, body])))
  })
}
