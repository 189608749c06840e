/**
 * One client connection: Kafka framing and request ordering.
 *
 *   Frame           => size INT32, then `size` bytes
 *   Request header  => api_key INT16, api_version INT16, correlation_id INT32, client_id NULLABLE_STRING
 *                      (header v1; flexible versions add tagged fields we never parse, since the only
 *                      flexible request we see, ApiVersions v3+, is answered from the header alone)
 *   Response header => correlation_id INT32
 *
 * Requests are handled one at a time per connection and answered in order, like Kafka does, so a
 * parked Fetch holds back only its own connection. Frames larger than the limit, a half frame
 * followed by silence, or a body that does not decode close this connection only.
 */
import type { Socket } from 'node:net'
import type { BrokerCore } from '../broker-core.ts'
import { ApiKey, apiName } from '../protocol/api-keys.ts'
import { KafkaError } from '../protocol/error-codes.ts'
import { ProtocolDecodeError, Reader } from '../protocol/reader.ts'
import { Writer } from '../protocol/writer.ts'
import { apiByKey, encodeApiVersions } from './api-table.ts'

const HEADER_MIN = 10

export class Connection {
  private chunks: Buffer[] = []
  private buffered = 0
  private queue: Buffer[] = []
  private busy = false
  private closed = false
  private frameTimer: NodeJS.Timeout | undefined
  private holding = false
  private held: [number, Writer][] = []
  private readonly clientHost: string

  constructor(
    private readonly socket: Socket,
    private readonly core: BrokerCore,
    onClose: () => void,
  ) {
    this.clientHost = `/${socket.remoteAddress ?? 'unknown'}`
    socket.setNoDelay(true)
    socket.setTimeout(core.config.idleTimeoutMs, () => this.close('idle timeout'))
    socket.on('data', (chunk) => this.onData(chunk))
    socket.on('error', (err) => core.log.debug({ err, client: this.clientHost }, 'connection error'))
    socket.on('close', () => {
      this.closed = true
      clearTimeout(this.frameTimer)
      onClose()
    })
  }

  close(reason: string): void {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.frameTimer)
    this.core.log.warn({ client: this.clientHost, reason }, 'closing connection')
    this.core.metrics?.protocolErrors.inc({ reason: reason.split(':')[0]! })
    this.socket.destroy()
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return
    this.chunks.push(chunk)
    this.buffered += chunk.length
    let completed = false
    for (;;) {
      if (this.buffered < 4) break
      if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks)]
      const size = this.chunks[0]!.readInt32BE(0)
      if (size < HEADER_MIN - 2 || size > this.core.config.maxRequestBytes) {
        this.close(`frame size: expected 8–${this.core.config.maxRequestBytes} bytes, received ${size}`)
        return
      }
      if (this.buffered < 4 + size) break
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)
      this.queue.push(all.subarray(4, 4 + size))
      completed = true
      const rest = all.subarray(4 + size)
      this.chunks = rest.length > 0 ? [rest] : []
      this.buffered = rest.length
    }
    // The timer starts with a frame's first bytes and is not extended by a trickle of more bytes,
    // so a client cannot hold a buffer open by sending one byte at a time.
    if (this.buffered === 0) {
      clearTimeout(this.frameTimer)
      this.frameTimer = undefined
    } else if (!this.frameTimer || completed) this.restartFrameTimer()
    if (this.queue.length > 64) this.socket.pause()
    void this.drain()
  }

  private restartFrameTimer(): void {
    clearTimeout(this.frameTimer)
    this.frameTimer = setTimeout(
      () => this.close('frame timeout: incomplete request'),
      this.core.config.frameTimeoutMs,
    )
  }

  private async drain(): Promise<void> {
    if (this.busy) return
    this.busy = true
    try {
      while (!this.closed && this.queue.length > 0) {
        const frame = this.queue.shift()!
        if (this.queue.length <= 16 && this.socket.isPaused()) this.socket.resume()
        const isProduce = frame.length >= 2 && frame.readInt16BE(0) === ApiKey.Produce
        if (!isProduce) this.releaseHeld()
        this.holding = isProduce && this.core.config.fsync === 'always'
        await this.handle(frame)
        this.holding = false
        if (this.queue.length === 0 || this.held.length >= 64) this.releaseHeld()
        if (this.socket.writableNeedDrain) await new Promise((r) => this.socket.once('drain', r))
      }
    } finally {
      this.busy = false
    }
  }

  private async handle(frame: Buffer): Promise<void> {
    const r = new Reader(frame)
    let apiKey: number
    let version: number
    let correlationId: number
    let clientId: string
    try {
      apiKey = r.int16()
      version = r.int16()
      correlationId = r.int32()
      clientId = r.nullableString() ?? ''
    } catch {
      return this.close('malformed request header')
    }
    this.core.metrics?.requests.inc({ api: apiName(apiKey), version: String(version) })
    if (apiKey === ApiKey.ApiVersions) {
      const w = new Writer(512)
      encodeApiVersions(w, version)
      return this.send(correlationId, w)
    }
    const api = apiByKey.get(apiKey)
    if (!api || version < api.minVersion || version > api.maxVersion) {
      // Neither the request nor its response layout is known: answer with the error code as the
      // only body field, which is the first field of most responses clients could expect.
      const warn = this.core.unsupportedWarnings.take(`${clientId}\0${apiKey}\0${version}`)
      if (warn)
        this.core.log.warn(
          { client: clientId, apiKey, api: apiName(apiKey), version, suppressedSinceLast: warn.suppressed },
          'unsupported API or version (logged once a minute per client, API and version)',
        )
      this.core.metrics?.protocolErrors.inc({ reason: 'unsupported version' })
      return this.send(correlationId, new Writer(8).int16(KafkaError.UNSUPPORTED_VERSION))
    }
    const codec = api.codec(version)
    let req: unknown
    try {
      req = codec.decode(r)
    } catch (err) {
      if (err instanceof ProtocolDecodeError)
        return this.close(`malformed ${api.name} v${version}: ${err.message}`)
      throw err
    }
    let res: unknown
    try {
      res = await api.handle(req, {
        core: this.core,
        clientId,
        clientHost: this.clientHost,
        apiVersion: version,
      })
    } catch (err) {
      this.core.log.error({ err, api: api.name, version, client: clientId }, 'request handler failed')
      return this.close(`internal error in ${api.name}`)
    }
    if (res === null) return
    const w = new Writer(256)
    codec.encode(w, res)
    this.send(correlationId, w)
  }

  /**
   * Group commit for BROKER_FSYNC=always: responses to consecutive queued Produce requests are
   * held, then one fsync covers all their appends and the responses go out in order.
   */
  private releaseHeld(): void {
    if (this.held.length === 0) return
    this.core.flushAll()
    const held = this.held
    this.held = []
    for (const [correlationId, body] of held) this.write(correlationId, body)
  }

  private send(correlationId: number, body: Writer): void {
    if (this.holding) this.held.push([correlationId, body])
    else this.write(correlationId, body)
  }

  private write(correlationId: number, body: Writer): void {
    if (this.closed) return
    const head = Buffer.allocUnsafe(8)
    head.writeInt32BE(4 + body.length, 0)
    head.writeInt32BE(correlationId, 4)
    const chunks = body.toChunks()
    this.socket.cork()
    this.socket.write(head)
    for (const c of chunks) if (c.length > 0) this.socket.write(c)
    this.socket.uncork()
  }
}
