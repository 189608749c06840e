import { type ChildProcess, spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { TokenlineError } from '../../lib/errors/index.ts'
import { formatLogLine, LineSplitter } from './log-format.ts'

export const startErrorCodes = [
  'START_SERVICE_EXITED',
  'START_SERVICE_NOT_READY',
  'START_SERVICE_STOP_FAILED',
] as const
export type StartErrorCode = (typeof startErrorCodes)[number]

export class StartError extends TokenlineError<StartErrorCode> {}

export type Exit = { code: number | null; signal: NodeJS.Signals | null }

export type ChildServiceOptions = {
  name: string
  /** Entry file relative to `cwd`, run as `node --import tsx <main>`. */
  main: string
  cwd: string
  env: NodeJS.ProcessEnv
  /** Receives every output line of the child, already prefixed and formatted. */
  print: (line: string) => void
  prefix: string
  /** Node options before the entry (the soak's `--inspect=127.0.0.1:0`); none by default. */
  nodeArgs?: string[]
}

/** How many of the child's last output lines are kept to explain a failed start. */
const keptLines = 15

/**
 * One service run as a child process with readable, prefixed logs. The child gets its own
 * process group, so a terminal's Ctrl-C reaches only `npm start`, which then stops the services
 * in order.
 */
export class ChildService {
  readonly name: string
  readonly exited: Promise<Exit>
  private readonly child: ChildProcess
  private readonly recent: string[] = []
  private exit: Exit | undefined

  constructor(private readonly options: ChildServiceOptions) {
    this.name = options.name
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', options.main], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    this.exited = new Promise<Exit>((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal }
        resolve(this.exit)
      })
      this.child.once('error', (err) => {
        this.remember(`could not spawn: ${err.message}`)
        this.exit = { code: 127, signal: null }
        resolve(this.exit)
      })
    })
    for (const stream of [this.child.stdout, this.child.stderr]) {
      const splitter = new LineSplitter()
      stream?.setEncoding('utf8')
      stream?.on('data', (chunk: string) => {
        for (const line of splitter.push(chunk)) this.emit(line)
      })
      stream?.on('end', () => {
        for (const line of splitter.flush()) this.emit(line)
      })
    }
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  get hasExited(): boolean {
    return this.exit !== undefined
  }

  /** The child's last output lines, for an error message. */
  lastOutput(): string {
    return this.recent.join('\n')
  }

  /**
   * Polls `url` (the service's /readyz) until it answers 200. Rejects with
   * `START_SERVICE_EXITED` if the child dies first, `START_SERVICE_NOT_READY` after `timeoutMs`.
   */
  async waitReady(url: string, timeoutMs: number): Promise<number> {
    const started = performance.now()
    const deadline = started + timeoutMs
    let lastProblem = 'no answer yet'
    while (performance.now() < deadline) {
      if (this.exit) throw this.exitedError('before it was ready')
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
        await res.body?.cancel()
        if (res.status === 200) return performance.now() - started
        lastProblem = `${url} answered ${res.status}`
      } catch (err) {
        lastProblem = `${url}: ${(err as Error).message}`
      }
      await Promise.race([sleep(200), this.exited])
    }
    throw new StartError(
      'START_SERVICE_NOT_READY',
      `${this.name} was not ready within ${timeoutMs} ms (${lastProblem}); its last output:\n${this.lastOutput()}`,
    )
  }

  /**
   * Sends SIGTERM and waits up to `timeoutMs` for the exit, then SIGKILL. Rejects with
   * `START_SERVICE_STOP_FAILED` when the child exits non-zero or has to be killed.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.exit) {
      this.child.kill('SIGTERM')
      const exit = await Promise.race([this.exited, sleep(timeoutMs).then(() => undefined)])
      if (!exit) {
        this.child.kill('SIGKILL')
        await this.exited
        throw new StartError(
          'START_SERVICE_STOP_FAILED',
          `${this.name} did not exit within ${timeoutMs} ms of SIGTERM; killed it`,
        )
      }
    }
    const exit = await this.exited
    if (exit.code !== 0) throw this.exitedError('during shutdown')
  }

  /** Last-resort cleanup when `npm start` itself is going away. */
  kill(): void {
    if (!this.exit) this.child.kill('SIGKILL')
  }

  exitedError(when: string): StartError {
    const how = this.exit?.signal ? `signal ${this.exit.signal}` : `code ${this.exit?.code}`
    return new StartError(
      'START_SERVICE_EXITED',
      `${this.name} exited with ${how} ${when}; its last output:\n${this.lastOutput() || '(nothing)'}`,
    )
  }

  private emit(line: string): void {
    if (line.trim() === '') return
    this.remember(formatLogLine('', line).trim())
    this.options.print(formatLogLine(this.options.prefix, line))
  }

  private remember(line: string): void {
    this.recent.push(`  ${line}`)
    if (this.recent.length > keptLines) this.recent.shift()
  }
}
