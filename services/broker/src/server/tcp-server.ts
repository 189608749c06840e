import type { AddressInfo } from 'node:net'
import { createServer, type Server, type Socket } from 'node:net'
import type { BrokerCore } from '../broker-core.ts'
import { Connection } from './connection.ts'

/** The Kafka-protocol listener: one Connection per socket. */
export class TcpServer {
  private readonly server: Server
  private readonly sockets = new Set<Socket>()

  constructor(core: BrokerCore) {
    this.server = createServer((socket) => {
      this.sockets.add(socket)
      core.metrics?.connections.inc()
      new Connection(socket, core, () => {
        this.sockets.delete(socket)
        core.metrics?.connections.dec()
      })
    })
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        resolve((this.server.address() as AddressInfo).port)
      })
    })
  }

  get connectionCount(): number {
    return this.sockets.size
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve())
      for (const s of this.sockets) s.destroy()
    })
  }
}
