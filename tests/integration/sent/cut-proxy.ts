// A TCP proxy in front of Dovecot that can lose the connection right after an APPEND reached the server:
// the server stores the message, the client never sees the answer (the duplicate window of a Sent copy).
import { createConnection, createServer, type Server, type Socket } from 'node:net'

export interface CutProxy {
  port: number
  /** When true, the next session that sends APPEND gets it through to the server and then loses its connection. */
  cutAfterAppend: boolean
  /** How many connections were cut so far. */
  cuts: number
  close(): Promise<void>
}

export async function startCutProxy(target: { host: string; port: number }): Promise<CutProxy> {
  const sockets = new Set<Socket>()
  const proxy: CutProxy = { port: 0, cutAfterAppend: false, cuts: 0, close: async () => undefined }
  const server: Server = createServer((client) => {
    const upstream = createConnection(target)
    sockets.add(client).add(upstream)
    let appendSeen = false
    client.on('data', (chunk: Buffer) => {
      if (proxy.cutAfterAppend && !appendSeen && / APPEND /i.test(chunk.toString('latin1'))) {
        appendSeen = true
        proxy.cutAfterAppend = false
        // The literal may follow in more chunks; the server's tagged answer never reaches the client.
        setTimeout(() => {
          proxy.cuts += 1
          client.destroy()
        }, 500)
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      // After the APPEND only continuation requests ("+ ") pass, so a synchronising literal still gets sent.
      if (!appendSeen || chunk.toString('latin1').startsWith('+')) client.write(chunk)
    })
    const end = (): void => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  proxy.port = (server.address() as { port: number }).port
  proxy.close = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy()
    server.close(() => resolve())
  })
  return proxy
}
