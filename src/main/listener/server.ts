// The loopback SMTP listener: smtp-server behind our own loopback sockets, the policy of policy.ts, DATA of message.ts.
// It never answers 250 to DATA before the spool's commit, never listens on anything but loopback addresses, and never
// relays for a client that is neither authenticated nor running as our own OS user.
import { createServer, type Server, type Socket } from 'node:net'
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerDataStream, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server'
import type { LocalDomains } from '../local/domains'
import type { Logger } from '../log/logger'
import type { SubmitInput } from '../queue/service'
import { LISTENER_CLOSE_GRACE_MS, LISTENER_IDLE_TIMEOUT_MS } from '../config/timeouts'
import { connectNow } from './connect'
import { guardAgainstHttp } from './http-guard'
import { commitMessage, readMessage } from './message'
import { peerUid as procPeerUid, type SocketEnd } from './peer-uid'
import { checkCredentials, checkRecipient, checkSender, endOf, isLoopback, type RelayPolicy } from './policy'
import type { LocalRecipientCheck } from './recipients'
import { queuedText, replies, replyError } from './replies'

const COMPONENT = 'listener'
/** Sessions at once; more get 421 (smtp-server's maxClients). */
const MAX_CLIENTS = 64

export interface ListenerOptions {
  hosts: readonly string[]
  port: number
  hostname: string
  maxMessageSize: number
  /** Received: lines beyond which a message is a loop (config local.maxReceived). */
  maxReceived: number
  relay: RelayPolicy
  localDomains: LocalDomains
  checkLocal: LocalRecipientCheck
  submit(input: SubmitInput): Promise<{ id: string }>
  log: Logger
  now(): number
  /** PEM key and certificate: STARTTLS is offered only with both (no self-signed default on loopback). */
  tls?: { key: Buffer; cert: Buffer }
  /** Who owns the client's socket (tests inject; default /proc/net/tcp{,6}). */
  peerUid?: (server: SocketEnd, client: SocketEnd) => Promise<number | null>
}

export interface RunningListener {
  /** Where it listens (hosts whose address does not exist on this machine, e.g. ::1 without IPv6, are left out). */
  addresses: Array<{ host: string; port: number }>
  close(): Promise<void>
}

interface SessionState {
  uid: Promise<number | null> | null
}

/**
 * The AUTH user of a session, or null. smtp-server leaves `user` undefined before AUTH but sets it to false after
 * STARTTLS (and on other resets), so only a non-empty string counts: anything else must never be taken as "authenticated".
 */
export function authenticatedUser(session: SMTPServerSession): string | null {
  const user: unknown = session.user
  return typeof user === 'string' && user !== '' ? user : null
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port, exclusive: true }, () => {
      server.removeListener('error', reject)
      resolve()
    })
  })
}

export async function startListener(options: ListenerOptions): Promise<RunningListener> {
  const { log } = options
  const sessions = new Map<string, SessionState>()
  /** Sessions between DATA and its reply: close() lets them finish (a commit in flight must get its answer). */
  let busy = 0
  const lookupUid = options.peerUid ?? procPeerUid
  const relayUsers = options.relay.users.length > 0

  const facts = (session: SMTPServerSession) => {
    let state = sessions.get(session.id)
    if (state === undefined) sessions.set(session.id, (state = { uid: null }))
    const known = state
    return {
      authenticatedUser: authenticatedUser(session),
      peerUid: () => (known.uid ??= lookupUid(endOf(session.localAddress, session.localPort), endOf(session.remoteAddress, session.remotePort)))
    }
  }
  // Postfix's client=name[address]:port; no reverse lookups here, and every client is on loopback.
  const client = (session: SMTPServerSession): string => `localhost[${session.remoteAddress}]:${session.remotePort}`

  const smtpOptions: SMTPServerOptions = {
    name: options.hostname,
    banner: 'Mailroom',
    logger: false,
    size: options.maxMessageSize,
    disableReverseLookup: true,
    maxClients: MAX_CLIENTS,
    socketTimeout: LISTENER_IDLE_TIMEOUT_MS,
    closeTimeout: LISTENER_CLOSE_GRACE_MS,
    authOptional: true,
    // Loopback only: AUTH PLAIN/LOGIN without TLS exposes nothing to the network (documented in docs/listener.md).
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    disabledCommands: [...(options.tls === undefined ? ['STARTTLS'] : []), ...(relayUsers ? [] : ['AUTH'])],
    ...(options.tls === undefined ? {} : { key: options.tls.key, cert: options.tls.cert }),
    onConnect(session, callback) {
      if (!isLoopback(session.remoteAddress)) {
        log.warn(COMPONENT, `connection from ${client(session)} refused: not a loopback address`)
        return callback(replyError(554, '5.7.1', 'This listener serves loopback clients only'))
      }
      log.info(COMPONENT, `connect from ${client(session)}`)
      callback()
    },
    onAuth(auth: SMTPServerAuthentication, session, callback) {
      const user = auth.method === 'PLAIN' || auth.method === 'LOGIN' ? checkCredentials(options.relay.users, auth.username ?? '', auth.password ?? '') : null
      if (user === null) {
        log.warn(COMPONENT, `${client(session)}: AUTH ${auth.method} failed for "${auth.username ?? ''}"`)
        return callback(replies.authFailed())
      }
      log.info(COMPONENT, `${client(session)}: authenticated as ${user} (${auth.method})`)
      callback(null, { user })
    },
    onMailFrom(address, session, callback) {
      callback(checkSender(address.address, options.hostname))
    },
    onRcptTo(address, session, callback) {
      const policy = { hostname: options.hostname, localDomains: options.localDomains, checkLocal: options.checkLocal, relay: options.relay }
      checkRecipient(policy, facts(session), address.address).then((refusal) => {
        if (refusal !== null) log.info(COMPONENT, `${client(session)}: RCPT <${address.address}> refused: ${refusal.responseCode} ${refusal.message}`)
        callback(refusal)
      }, (error: unknown) => {
        log.error(COMPONENT, `${client(session)}: RCPT check failed: ${(error as Error).message}`)
        callback(replies.internal())
      })
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      busy++
      handleData(stream, session)
        .then((result) => callback(result.error, result.message), () => callback(replies.internal()))
        .finally(() => busy--)
    },
    onClose(session) {
      sessions.delete(session.id)
    }
  }

  async function handleData(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<{ error: Error | null; message?: string }> {
    const sender = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address
    const recipients = session.envelope.rcptTo.map((r) => (r.address.includes('@') ? r.address : `${r.address}@${options.hostname}`))
    const read = await readMessage(stream, options.maxMessageSize)
    if (read.data === null) {
      log.warn(COMPONENT, `${client(session)}: message from <${sender}> refused: ${read.error?.message ?? ''}`)
      return { error: read.error }
    }
    const cipher = session.secure ? (session.tlsOptions as { name?: string; standardName?: string; version?: string } | undefined) : undefined
    const outcome = await commitMessage({ hostname: options.hostname, now: options.now, submit: options.submit }, {
      sender,
      recipients,
      received: {
        helo: session.hostNameAppearsAs || '',
        openingCommand: session.openingCommand || '',
        clientAddress: session.remoteAddress,
        clientHostname: '',
        hostname: options.hostname,
        tls: cipher === undefined ? null : { protocol: cipher.version ?? 'TLS', cipher: cipher.standardName ?? cipher.name ?? 'unknown' },
        authenticated: authenticatedUser(session) !== null
      }
    }, read.data, { maxBytes: options.maxMessageSize, maxReceived: options.maxReceived })
    if (!outcome.ok) {
      log.warn(COMPONENT, `${client(session)}: message from <${sender}> refused: ${outcome.error.responseCode} ${outcome.error.message}`)
      return { error: outcome.error }
    }
    log.info(COMPONENT, `${outcome.id}: client=${client(session)}, from=<${sender}>, nrcpt=${recipients.length}, size=${outcome.size}${authenticatedUser(session) === null ? '' : `, sasl_username=${authenticatedUser(session) ?? ''}`}`)
    return { error: null, message: queuedText(outcome.id) }
  }

  const smtp = new SMTPServer(smtpOptions)
  smtp.on('error', (error: Error) => log.warn(COMPONENT, `session error: ${error.message}`))

  const sockets = new Set<Socket>()
  const servers: Server[] = []
  const addresses: RunningListener['addresses'] = []
  const failures: string[] = []
  for (const host of options.hosts) {
    const server = createServer((socket) => {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
      connectNow(smtp, socket, MAX_CLIENTS)
      guardAgainstHttp(socket, (line) => log.warn(COMPONENT, `connection from [${socket.remoteAddress ?? '?'}]:${socket.remotePort ?? '?'} rejected: HTTP (${line.slice(0, 80)})`))
    })
    try {
      await listenOn(server, host, options.port)
      servers.push(server)
      addresses.push({ host, port: options.port })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // ::1 on a machine without IPv6 is not an error worth stopping for; a port in use is.
      if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') {
        log.warn(COMPONENT, `cannot listen on ${host}: ${code}; skipped`)
        continue
      }
      failures.push(`${host}:${options.port}: ${code === 'EADDRINUSE' ? 'the port is already in use' : (error as Error).message}`)
    }
  }
  if (failures.length > 0 || servers.length === 0) {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    throw new Error(`the SMTP listener cannot start: ${failures.length > 0 ? failures.join('; ') : 'no address to listen on'}`)
  }
  log.info(COMPONENT, `listening on ${addresses.map((a) => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`)).join(', ')}`)

  return {
    addresses,
    async close() {
      // Stop accepting; the close callbacks fire only once every connection has ended, so they are awaited last.
      const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
      // New commands now get "421 Server shutting down"; a message being received or committed finishes and gets its reply.
      smtp.close()
      const deadline = Date.now() + LISTENER_CLOSE_GRACE_MS
      while (busy > 0 && Date.now() < deadline) await sleep(25)
      for (const socket of sockets) socket.end('421 4.3.2 Service shutting down, closing the connection\r\n')
      const lingerUntil = Date.now() + 500
      while (sockets.size > 0 && Date.now() < lingerUntil) await sleep(25)
      for (const socket of sockets) socket.destroy()
      await closed
      log.info(COMPONENT, 'stopped')
    }
  }
}
