import type { AddressInfo } from 'node:net'
import { connect, createServer, type Socket } from 'node:net'
import { PGlite } from '@electric-sql/pglite'

/** SQL statements the database was sent, in order, as the server saw them. */
export type StatementLog = { statements: string[]; reset: () => void }

/**
 * A TCP proxy in front of PostgreSQL that records every statement sent over the wire: the text of
 * each simple Query ('Q') and of each extended-protocol Parse ('P', one per execution of an unnamed
 * statement, as pg and drizzle send them). Returns a URL that goes through it.
 *
 * Client → server framing: the startup packet (and an SSLRequest) has no type byte; every later
 * message is type (1 byte) + length (int32, counting itself) + body.
 */
export async function startCountingProxy(
  databaseUrl: string,
): Promise<StatementLog & { url: string; close: () => Promise<void> }> {
  const target = new URL(databaseUrl)
  const statements: string[] = []
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname)
    sockets.add(client).add(upstream)
    let buffered = Buffer.alloc(0)
    let started = false
    client.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      for (;;) {
        if (!started) {
          if (buffered.length < 4) break
          const length = buffered.readInt32BE(0)
          if (buffered.length < length) break
          const code = buffered.readInt32BE(4)
          // 80877103 = SSLRequest, 80877104 = GSSENCRequest: the real startup packet follows.
          if (code !== 80877103 && code !== 80877104) started = true
          buffered = buffered.subarray(length)
          continue
        }
        if (buffered.length < 5) break
        const length = buffered.readInt32BE(1)
        if (buffered.length < 1 + length) break
        const type = String.fromCharCode(buffered[0]!)
        const body = buffered.subarray(5, 1 + length)
        if (type === 'Q') statements.push(cString(body, 0))
        if (type === 'P') statements.push(cString(body, body.indexOf(0) + 1))
        buffered = buffered.subarray(1 + length)
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => client.write(chunk))
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = new URL(databaseUrl)
  url.hostname = '127.0.0.1'
  url.port = String((server.address() as AddressInfo).port)
  return {
    url: url.toString(),
    statements,
    reset: () => {
      statements.length = 0
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function cString(buffer: Buffer, start: number): string {
  const end = buffer.indexOf(0, start)
  return buffer.toString('utf8', start, end < 0 ? buffer.length : end)
}

/**
 * Records every statement any PGlite in this process runs through `query` (what drizzle calls),
 * until `restore`. PGlite runs in-process, so wrapping its method is the wire.
 */
export function countPgliteStatements(): StatementLog & { restore: () => void } {
  const statements: string[] = []
  const original = PGlite.prototype.query
  PGlite.prototype.query = function (this: PGlite, query: string, ...rest: unknown[]) {
    statements.push(query)
    return (original as (...args: unknown[]) => ReturnType<typeof original>).call(this, query, ...rest)
  } as typeof original
  return {
    statements,
    reset: () => {
      statements.length = 0
    },
    restore: () => {
      PGlite.prototype.query = original
    },
  }
}
