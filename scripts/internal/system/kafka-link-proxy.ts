/**
 * A TCP proxy in front of the broker that can cut one client off while the others keep talking.
 *
 * Why it reads the client id: Kafka clients bootstrap at one address and then connect to the
 * address the broker advertises, so a proxy on the edge's bootstrap address alone would be
 * bypassed. The drill therefore makes the broker advertise the proxy (same port, another loopback
 * address) so every client's connections pass through it, and tells the edge's apart by the
 * client id in the first request header:
 *   int32 size | int16 api_key | int16 api_version | int32 correlation_id | int16 len | client_id bytes
 * A cut closes the matching connections and closes each new one after its first header, so the
 * client sees a reset connection until the cut ends (a refused link, not a silent black hole).
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net'

/** Bytes before the client id's characters in a request frame (size, key, version, correlation id, length). */
const headerBytes = 4 + 2 + 2 + 4 + 2

type Link = { clientId: string; client: Socket; upstream: Socket }

export type KafkaLinkProxyOptions = {
  /** Address clients connect to (the broker's advertised host and its port). */
  listen: { host: string; port: number }
  /** The broker's real address. */
  upstream: { host: string; port: number }
}

export class KafkaLinkProxy {
  private server: Server | undefined
  private readonly links = new Set<Link>()
  private readonly pending = new Set<Socket>()
  private cutPrefixes: string[] = []
  /** Connections closed because their client was cut off. */
  refused = 0

  constructor(private readonly options: KafkaLinkProxyOptions) {}

  async start(): Promise<void> {
    const server = createServer((client) => this.accept(client))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.options.listen.port, this.options.listen.host, () => resolve())
    })
    this.server = server
  }

  /** Cuts every client whose id starts with `clientIdPrefix` until `restore()`. */
  cut(clientIdPrefix: string): void {
    this.cutPrefixes.push(clientIdPrefix)
    for (const link of this.links) if (this.isCut(link.clientId)) this.drop(link)
  }

  restore(): void {
    this.cutPrefixes = []
  }

  get isCutting(): boolean {
    return this.cutPrefixes.length > 0
  }

  async close(): Promise<void> {
    for (const link of this.links) this.drop(link)
    for (const socket of this.pending) socket.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  private isCut(clientId: string): boolean {
    return this.cutPrefixes.some((p) => clientId.startsWith(p))
  }

  private drop(link: Link): void {
    this.links.delete(link)
    link.client.destroy()
    link.upstream.destroy()
  }

  private accept(client: Socket): void {
    this.pending.add(client)
    let buffered = Buffer.alloc(0)
    client.on('error', () => undefined)
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      if (buffered.length < headerBytes) return
      const length = buffered.readInt16BE(headerBytes - 2)
      if (length > 0 && buffered.length < headerBytes + length) return
      const clientId = length > 0 ? buffered.subarray(headerBytes, headerBytes + length).toString('utf8') : ''
      client.off('data', onData)
      client.pause()
      this.pending.delete(client)
      if (this.isCut(clientId)) {
        this.refused++
        client.destroy()
        return
      }
      this.forward(client, clientId, buffered)
    }
    client.on('data', onData)
    client.once('close', () => this.pending.delete(client))
  }

  private forward(client: Socket, clientId: string, first: Buffer): void {
    const upstream = tcpConnect(this.options.upstream.port, this.options.upstream.host)
    const link: Link = { clientId, client, upstream }
    this.links.add(link)
    upstream.on('error', () => undefined)
    const end = () => this.drop(link)
    upstream.once('close', end)
    client.once('close', end)
    upstream.once('connect', () => {
      upstream.write(first)
      client.pipe(upstream)
      upstream.pipe(client)
      client.resume()
    })
  }
}
