// A real smtp-server on a loopback address for delivery tests: scripted replies, and a record of every session and transaction.
import type { Socket } from 'node:net'
import { SMTPServer, type SMTPServerSession } from 'smtp-server'

export interface Reply {
  code: number
  message: string
}

export interface Behaviour {
  /** Refuse the connection with this greeting (e.g. 421). */
  greeting?: Reply
  mail?: (from: string) => Reply | undefined
  rcpt?: (to: string) => Reply | undefined
  /** The verdict at the end of the data. */
  data?: () => Reply | undefined
  /** Read the whole message, then drop the connection without a verdict. */
  dropAfterData?: boolean
  /** Offer STARTTLS (smtp-server's built-in test certificate). */
  starttls?: boolean
}

export interface Transaction {
  from: string
  to: string[]
  data: string
  secure: boolean
  servername: string | undefined
  helo: string
}

export interface TestServer {
  host: string
  port: number
  /** Connections accepted. */
  sessions: number
  /** Every MAIL FROM received, accepted or not. */
  mailFroms: string[]
  /** Messages whose data was received in full. */
  transactions: Transaction[]
  close(): Promise<void>
}

function smtpError(reply: Reply): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.code })
}

export async function startTestServer(behaviour: Behaviour = {}, host = '127.0.0.1', port = 0): Promise<TestServer> {
  const sockets = new Set<Socket>()
  const state = { sessions: 0, mailFroms: [] as string[], transactions: [] as Transaction[] }
  const server = new SMTPServer({
    secure: false,
    logger: false,
    // Replies carry exactly the enhanced code a test writes (or none), so derivation is tested too.
    hideENHANCEDSTATUSCODES: true,
    hideSTARTTLS: behaviour.starttls !== true,
    disabledCommands: ['AUTH'],
    closeTimeout: 200,
    onConnect(_session, callback) {
      state.sessions += 1
      callback(behaviour.greeting ? smtpError(behaviour.greeting) : undefined)
    },
    onMailFrom(address, _session, callback) {
      state.mailFroms.push(address.address)
      const reply = behaviour.mail?.(address.address)
      callback(reply ? smtpError(reply) : undefined)
    },
    onRcptTo(address, _session, callback) {
      const reply = behaviour.rcpt?.(address.address)
      callback(reply ? smtpError(reply) : undefined)
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        state.transactions.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          servername: session.servername === null || session.servername === false ? undefined : session.servername,
          helo: session.hostNameAppearsAs
        })
        if (behaviour.dropAfterData === true) {
          for (const socket of sockets) socket.destroy()
          return
        }
        const reply = behaviour.data?.()
        callback(reply ? smtpError(reply) : null)
      })
    }
  })
  server.on('error', () => undefined) // a dropped connection is part of some tests
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const address = server.server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  return {
    host,
    port: address.port,
    get sessions() { return state.sessions },
    get mailFroms() { return state.mailFroms },
    get transactions() { return state.transactions },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  }
}
