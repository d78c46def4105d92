// A TCP proxy in front of Dovecot that the test can switch off (every session dropped, new ones refused) and on:
// "offline" for one client while a second client still reaches the server directly.
import { createConnection, createServer, type Server, type Socket } from 'node:net'

export interface NetSwitch {
  port: number
  offline(): void
  online(): void
  close(): Promise<void>
}

export async function startNetSwitch(target: { host: string; port: number }): Promise<NetSwitch> {
  const sockets = new Set<Socket>()
  let up = true
  const server: Server = createServer((client) => {
    if (!up) {
      client.destroy()
      return
    }
    const upstream = createConnection(target)
    sockets.add(client).add(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    const end = (): void => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    offline() {
      up = false
      for (const s of sockets) s.destroy()
    },
    online() {
      up = true
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  }
}
