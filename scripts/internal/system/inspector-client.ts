/**
 * A minimal Chrome DevTools Protocol client for another Node process started with
 * `--inspect=127.0.0.1:0` (the soak's children): a full GC, `process.memoryUsage()` read after it,
 * and heap snapshots streamed to a file. node:inspector only reaches the process it runs in, so
 * this speaks the protocol over the child's WebSocket. Nothing here touches the services' code.
 */
import { createWriteStream } from 'node:fs'
import WebSocket from 'ws'
import { TokenlineError } from '../../../lib/errors/index.ts'

export const inspectorErrorCodes = [
  'INSPECTOR_CONNECT_FAILED',
  'INSPECTOR_CALL_FAILED',
  'INSPECTOR_CLOSED',
  'INSPECTOR_TIMEOUT',
] as const
export type InspectorErrorCode = (typeof inspectorErrorCodes)[number]

export class InspectorError extends TokenlineError<InspectorErrorCode> {}

/** `process.memoryUsage()` of the inspected process, bytes. */
export type MemoryUsage = {
  rss: number
  heapTotal: number
  heapUsed: number
  external: number
  arrayBuffers: number
}

type Pending = { resolve: (result: unknown) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }

/** The "Debugger listening on ws://…" line Node prints to stderr when started with --inspect. */
export function parseInspectorUrl(line: string): string | null {
  return /Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1] ?? null
}

export class InspectorClient {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private readonly listeners = new Map<string, (params: Record<string, unknown>) => void>()
  private closed = false

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => this.onMessage(String(data)))
    socket.on('close', () => {
      this.closed = true
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer)
        p.reject(new InspectorError('INSPECTOR_CLOSED', `inspector closed before call ${id} answered`, true))
      }
      this.pending.clear()
    })
    // An 'error' after open is followed by 'close', which rejects what is pending.
    socket.on('error', () => undefined)
  }

  static async connect(url: string, timeoutMs = 10_000): Promise<InspectorClient> {
    // The default 100 MB message limit is fine: snapshot chunks are small; results are a few hundred bytes.
    const socket = new WebSocket(url, { handshakeTimeout: timeoutMs })
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('error', (err) =>
        reject(
          new InspectorError('INSPECTOR_CONNECT_FAILED', `inspector at ${url}: ${err.message}`, true, {
            cause: err,
          }),
        ),
      )
    })
    return new InspectorClient(socket)
  }

  get isOpen(): boolean {
    return !this.closed
  }

  /** One protocol call; rejects with the protocol's error or after `timeoutMs`. */
  call<T = unknown>(method: string, params: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
    if (this.closed)
      return Promise.reject(new InspectorError('INSPECTOR_CLOSED', `${method}: inspector closed`))
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(
          new InspectorError('INSPECTOR_TIMEOUT', `${method} got no answer within ${timeoutMs} ms`, true),
        )
      }, timeoutMs)
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject, timer })
      this.socket.send(JSON.stringify({ id, method, params }))
    })
  }

  /** A full, blocking GC in the inspected process, then its `process.memoryUsage()`. */
  async memoryAfterGc(): Promise<MemoryUsage> {
    await this.call('HeapProfiler.collectGarbage')
    const { result, exceptionDetails } = await this.call<{
      result: { value?: unknown }
      exceptionDetails?: { text: string }
    }>('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true })
    if (exceptionDetails || typeof result.value !== 'string')
      throw new InspectorError(
        'INSPECTOR_CALL_FAILED',
        `process.memoryUsage() in the inspected process: ${exceptionDetails?.text ?? 'no string came back'}`,
      )
    return JSON.parse(result.value) as MemoryUsage
  }

  /** Writes a heap snapshot (V8 runs a GC first) to `path`; resolves with its size in bytes. */
  async takeHeapSnapshot(path: string, timeoutMs = 300_000): Promise<number> {
    const file = createWriteStream(path)
    let bytes = 0
    this.listeners.set('HeapProfiler.addHeapSnapshotChunk', (params) => {
      const chunk = String(params.chunk)
      bytes += Buffer.byteLength(chunk)
      file.write(chunk)
    })
    try {
      // Every chunk event arrives before the call's answer.
      await this.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false }, timeoutMs)
    } finally {
      this.listeners.delete('HeapProfiler.addHeapSnapshotChunk')
      await new Promise<void>((resolve, reject) =>
        file.end((err?: Error | null) => (err ? reject(err) : resolve())),
      )
    }
    return bytes
  }

  /** Closes the socket; the inspected process must not be left waiting for a debugger at exit. */
  async close(): Promise<void> {
    if (this.closed) return
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve())
      this.socket.close()
      setTimeout(() => {
        this.socket.terminate()
        resolve()
      }, 2000).unref()
    })
  }

  private onMessage(text: string): void {
    const message = JSON.parse(text) as {
      id?: number
      result?: unknown
      error?: { code: number; message: string }
      method?: string
      params?: Record<string, unknown>
    }
    if (message.id !== undefined) {
      const p = this.pending.get(message.id)
      if (!p) return
      this.pending.delete(message.id)
      clearTimeout(p.timer)
      if (message.error)
        p.reject(
          new InspectorError(
            'INSPECTOR_CALL_FAILED',
            `${message.error.message} (code ${message.error.code})`,
          ),
        )
      else p.resolve(message.result)
      return
    }
    if (message.method) this.listeners.get(message.method)?.(message.params ?? {})
  }
}
