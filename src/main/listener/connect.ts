// Hands an accepted loopback socket to smtp-server without its 100 ms "early talker" pause before the greeting.
// smtp-server's own connect() waits 100 ms to catch spam bots that talk first; on loopback that pause alone capped the
// listener at ~60 msg/s with 16 sessions (docs/listener.md). Same steps as SMTPServer#connect + SMTPConnection#init
// (smtp-server 3.21.6), minus the timer; tests/unit/listener/session.test.ts covers the greeting and every reply.
import type { Socket } from 'node:net'
import type { SMTPServer } from 'smtp-server'
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js'

/** The parts of smtp-server's connection used here (its typings name them; they are not in @types/smtp-server). */
interface Connection {
  _setListeners(callback: () => void): void
  connectionReady(): void
  send(code: number, text: string, context?: false): void
  on(event: 'error', listener: (error: Error) => void): void
  name: string
}

export function connectNow(server: SMTPServer, socket: Socket, maxClients: number): void {
  const Ctor = SMTPConnection as unknown as new (server: SMTPServer, socket: Socket, options: Record<string, unknown>) => Connection
  const connection = new Ctor(server, socket, {})
  const connections = server.connections as Set<unknown>
  connections.add(connection)
  connection.on('error', (error) => server.emit('error', error))
  connection._setListeners(() => {
    if (server.connections.size > maxClients) return connection.send(421, `${connection.name} Too many connected clients, try again in a moment`, false)
    connection.connectionReady()
  })
}
