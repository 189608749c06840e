import { ConfigError } from '../config/index.ts'
import { isTokenlineError } from '../errors/index.ts'
import type { Logger } from '../log/index.ts'

type Closer = { name: string; close: () => Promise<void> | void }

/**
 * Collects things to close and closes them in reverse order of registration on SIGINT/SIGTERM,
 * so producers flush before the broker connection goes and the DB closes last.
 */
export class Lifecycle {
  private readonly closers: Closer[] = []
  private closing: Promise<void> | undefined

  constructor(
    private readonly log: Logger,
    /** Give up on a stuck close after this long (ms) and exit anyway. */
    private readonly shutdownTimeoutMs = 15_000,
  ) {}

  add(name: string, close: () => Promise<void> | void): void {
    this.closers.push({ name, close })
  }

  /** Installs signal handlers; the process exits 0 after a clean close, 1 after a failed one. */
  handleSignals(): void {
    let shuttingDown = false
    const onSignal = (signal: NodeJS.Signals) => {
      // A terminal's Ctrl-C reaches both npm and the service, and npm forwards it again: ignore repeats.
      if (shuttingDown) return
      shuttingDown = true
      this.log.info({ signal }, 'shutting down')
      const timer = setTimeout(() => {
        this.log.error({ timeoutMs: this.shutdownTimeoutMs }, 'shutdown timed out')
        process.exit(1)
      }, this.shutdownTimeoutMs)
      timer.unref()
      this.close().then(
        () => process.exit(0),
        () => process.exit(1),
      )
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      let failed = false
      for (const closer of [...this.closers].reverse()) {
        try {
          await closer.close()
          this.log.debug({ part: closer.name }, 'closed')
        } catch (err) {
          failed = true
          this.log.error({ err, part: closer.name }, 'close failed')
        }
      }
      if (failed) throw new Error('one or more parts failed to close')
    })()
    return this.closing
  }
}

/**
 * Runs a service's `main`. A configuration error prints its problem list (no stack trace) and
 * exits 2; any other startup failure prints code + message and exits 1.
 */
export function runMain(service: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${service}: ${err.message}\n`)
      process.exit(2)
    }
    const code = isTokenlineError(err) ? `${err.code}: ` : ''
    const message = err instanceof Error ? err.message : String(err)
    process.stderr.write(`${service}: failed to start: ${code}${message}\n`)
    if (process.env.LOG_LEVEL === 'debug' && err instanceof Error) process.stderr.write(`${err.stack}\n`)
    process.exit(1)
  })
}
