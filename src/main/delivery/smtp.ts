// One SMTP session to one address of one MX host: connect, EHLO, opportunistic STARTTLS, one transaction, per-recipient results.
//
// The protocol is nodemailer's SMTPConnection; this module only opens the TCP connection (so the connect and greeting
// timeouts are separate, as timeouts.ts means them), follows the dialogue (dialogue.ts) and turns results into outcomes.
// Opportunistic TLS to an MX does not verify the certificate, like Postfix's default `may` level; AUTH is never sent here.
// Smart hosts (smarthost.ts) set `security` (and maybe `auth`): required STARTTLS or implicit TLS with certificate
// checks, then AUTH; without `security` a session behaves exactly as the MX session described above.
import { connect as netConnect, isIP, type Socket } from 'node:net'
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js'
import type { SmtpReplyInfo } from '../../shared/contract'
import { SMTP_CONNECT_TIMEOUT_MS, SMTP_DATA_TIMEOUT_MS, SMTP_GREETING_TIMEOUT_MS, SMTP_SOCKET_TIMEOUT_MS } from '../config/timeouts'
import type { Logger } from '../log/logger'
import { classifyError, classifyReply, phaseOfCommand, replyOf, shortReason, type Classification, type ClassifyContext, type SmtpPhase } from './classify'
import { Dialogue } from './dialogue'
import { logIn, type SmtpLogin } from './smtp-login'
import { installPerRecipientOrcpt, nodemailerDsn } from './esmtp'
import type { DeliveryDsn, RecipientOutcome } from './types'

export interface SmtpTarget {
  /** The recipient domain (for sentences). */
  domain: string
  /** The MX host name: TLS server name and the name in `relay`. */
  mxName: string
  address: string
  port: number
}

export interface SmtpTimeouts {
  connectMs: number
  /** Greeting, EHLO and the STARTTLS handshake together. */
  greetingMs: number
  /** Any other wait for the server. */
  socketMs: number
  /** The wait for the verdict after the end of the data (RFC 5321 §4.5.3.2.6). */
  dataMs: number
}

export const DEFAULT_SMTP_TIMEOUTS: SmtpTimeouts = {
  connectMs: SMTP_CONNECT_TIMEOUT_MS,
  greetingMs: SMTP_GREETING_TIMEOUT_MS,
  socketMs: SMTP_SOCKET_TIMEOUT_MS,
  dataMs: SMTP_DATA_TIMEOUT_MS
}

/**
 * How a smart host session is secured (added for smart hosts; MX sessions leave it unset):
 * 'starttls': STARTTLS is required (nodemailer's requireTLS: if the server refuses or does not offer it, the session
 * ends before any AUTH or MAIL FROM, never falling back to plaintext); 'tls': implicit TLS from the first byte (465);
 * 'none': plaintext, STARTTLS ignored (only when a route says so explicitly).
 */
export type SmtpSecurity = 'starttls' | 'tls' | 'none'
export type { SmtpLogin } from './smtp-login'

export interface SmtpSessionOptions {
  /** Our host name, sent with EHLO/HELO. */
  hostname: string
  timeouts?: Partial<SmtpTimeouts>
  /** Receives the SMTP dialogue at debug level and connection trouble at info level. */
  log?: Logger
  /** Smart hosts only (see SmtpSecurity); unset = MX behaviour: opportunistic STARTTLS without certificate checks. */
  security?: SmtpSecurity
  /** Smart hosts only: verify the server certificate (default true when `security` is set). */
  rejectUnauthorized?: boolean
  /** Smart hosts only: log in after EHLO; never on a plaintext connection unless security is 'none'. */
  auth?: SmtpLogin
  /** MX only: ignore an offered STARTTLS (the one plaintext retry after a failed TLS handshake, as Postfix's `may`). */
  skipStartTls?: boolean
}

/** A failure before anything was decided for any recipient: the next address may do better. */
export interface AttemptFailure extends Classification {
  reply: SmtpReplyInfo
  /** A few words for lists of attempts ("connection refused"). */
  reason: string
}

export type TransactionResult =
  | { kind: 'no-transaction'; failure: AttemptFailure }
  /** retryElsewhere: the whole transaction got a 4xx (MAIL FROM, DATA, end of data), so another MX may take it. */
  | { kind: 'answered'; outcomes: RecipientOutcome[]; retryElsewhere: boolean }

export interface Envelope {
  /** '' is the null sender <>. */
  from: string
  to: string[]
  /** RFC 3461 RET/ENVID/NOTIFY, sent when the server offers DSN. */
  dsn?: DeliveryDsn
  /** Recipient (as in `to`) → original address, sent as its ORCPT when the server offers DSN. */
  originals?: Record<string, string>
}

/** Codes of errors that end a connection without any verdict from the server. */
const CONNECTION_ERRORS = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'ETLS', 'EPROTOCOL', 'EDNS'])

function connectSocket(address: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: address, port })
    const fail = (error: Error): void => {
      clearTimeout(timer)
      socket.destroy()
      reject(error)
    }
    const timer = setTimeout(() => fail(Object.assign(new Error('Connection timed out'), { code: 'ETIMEDOUT' })), timeoutMs)
    socket.once('error', fail)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.removeListener('error', fail)
      resolve(socket)
    })
  })
}

function has8bit(data: Buffer): boolean {
  for (const byte of data) if (byte > 0x7f) return true
  return false
}

function replyCode(reply: string): number {
  return Number(/^\d{3}/.exec(reply)?.[0] ?? 0)
}

export class SmtpSession {
  /** `name[ip]:port`, as in the maillog's relay=. */
  readonly relay: string
  private readonly timeouts: SmtpTimeouts
  private readonly dialogue: Dialogue
  private connection: SMTPConnection | undefined
  private closing: Promise<void> | undefined

  constructor(private readonly target: SmtpTarget, private readonly options: SmtpSessionOptions) {
    this.relay = `${target.mxName}[${target.address}]:${target.port}`
    this.timeouts = { ...DEFAULT_SMTP_TIMEOUTS, ...options.timeouts }
    // RFC 5321 gives the wait after the final dot ten minutes, far more than any other wait: stretch the idle timer then.
    const idleTimeout = (ms: number) => (): void => {
      const socket = this.connection?._socket
      if (socket) socket.setTimeout(ms)
    }
    this.dialogue = new Dialogue({ dataStarted: idleTimeout(this.timeouts.dataMs), dataAnswered: idleTimeout(this.timeouts.socketMs) })
  }

  /** True when STARTTLS succeeded. */
  get encrypted(): boolean {
    return this.connection?.secure === true
  }

  private context(phase: SmtpPhase): ClassifyContext {
    const base = { domain: this.target.domain, host: this.target.mxName, phase }
    if (this.options.security === undefined) return base
    // A smart host: the classifier names it and explains TLS/login trouble as configuration.
    return { ...base, smartHost: this.options.auth === undefined ? {} : { user: this.options.auth.user, method: this.options.auth.method } }
  }

  private failure(error: unknown, phase: SmtpPhase): AttemptFailure {
    const classification = classifyError(error, this.context(phase))
    const { code, text } = replyOf(error)
    const reason = shortReason(error)
    const described = code === undefined ? `${phase === 'connect' ? 'connect to' : 'conversation with'} ${this.relay}: ${text}` : text
    const reply: SmtpReplyInfo = { ...(code === undefined ? {} : { code }), enhanced: classification.enhanced, text: described, host: this.relay, human: classification.human }
    return { ...classification, reply, reason }
  }

  private outcome(recipient: string, classification: Classification, code: number | undefined, text: string): RecipientOutcome {
    const reply: SmtpReplyInfo = { ...(code === undefined || code === 0 ? {} : { code }), enhanced: classification.enhanced, text, host: this.relay, human: classification.human }
    return { recipient, status: classification.status, reply, ...(classification.unreachable ? { unreachable: true } : {}) }
  }

  private debug(line: string): void {
    this.options.log?.log('debug', 'smtp', `${this.relay}: ${line.replace(/\r?\n/g, ' ')}`)
  }

  /** Connects and gets through greeting, EHLO and STARTTLS. Returns null when ready for a transaction. */
  async open(): Promise<AttemptFailure | null> {
    let socket: Socket
    try {
      socket = await connectSocket(this.target.address, this.target.port, this.timeouts.connectMs)
    } catch (error) {
      return this.failure(error, 'connect')
    }
    this.dialogue.connected()
    const security = this.options.security
    const tls = { rejectUnauthorized: security === undefined ? false : this.options.rejectUnauthorized ?? true, ...(isIP(this.target.mxName) === 0 ? { servername: this.target.mxName } : {}) }
    const connection = new SMTPConnection({
      connection: socket,
      host: this.target.address,
      port: this.target.port,
      name: this.options.hostname,
      ...(security === undefined ? { opportunisticTLS: true } : security === 'starttls' ? { requireTLS: true } : security === 'tls' ? { secure: true } : { ignoreTLS: true }),
      ...(this.options.skipStartTls === true ? { ignoreTLS: true } : {}),
      tls,
      // With an open socket handed over, nodemailer's connection timeout bounds the session set-up (greeting to TLS).
      connectionTimeout: this.timeouts.greetingMs,
      greetingTimeout: this.timeouts.greetingMs,
      socketTimeout: this.timeouts.socketMs,
      transactionLog: true,
      logger: {
        debug: (entry: { tnx?: string } | undefined, message: unknown) => {
          if (typeof message !== 'string') return
          if (entry?.tnx === 'client') { this.dialogue.client(message); this.debug(`> ${message}`) }
          else if (entry?.tnx === 'server') { this.dialogue.server(message); this.debug(`< ${message}`) }
        },
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined
      }
    })
    this.connection = connection
    // nodemailer emits 'error' (and throws without a listener) for failures outside a callback; they reach us via callbacks.
    connection.on('error', () => undefined)
    const error = await new Promise<unknown>((resolve) => {
      const onError = (err: unknown): void => resolve(err)
      connection.once('error', onError)
      connection.connect((err) => {
        connection.removeListener('error', onError)
        resolve(err ?? null)
      })
    })
    const loginError = error === null && this.options.auth !== undefined ? await logIn(connection, this.options.auth, this.options.security) : error
    if (loginError === null) return null
    this.destroy()
    return this.failure(loginError, this.dialogue.phase)
  }

  /** One transaction on an open session: MAIL FROM, RCPT TO for each recipient, DATA. Delivery problems never throw. */
  async send(envelope: Envelope, data: Buffer): Promise<TransactionResult> {
    const connection = this.connection
    if (connection === undefined) throw new Error('SmtpSession.send before open')
    const result = await new Promise<{ info?: SMTPConnection.SentMessageInfo; error?: unknown }>((resolve) => {
      const originals = envelope.originals
      const dsn = nodemailerDsn(envelope.dsn, originals !== undefined)
      installPerRecipientOrcpt(connection, (r) => originals?.[r])
      this.transactions += 1
      connection.send({ from: envelope.from, to: envelope.to, size: data.length, use8BitMime: has8bit(data), ...(dsn === undefined ? {} : { dsn }) } as SMTPConnection.Envelope, data,
        (error, info) => resolve(error ? { error } : { info }))
    })
    if (result.info !== undefined) {
      const info = result.info
      const accepted = new Set(info.accepted)
      const sent = classifyReply({ code: replyCode(info.response), text: info.response }, this.context('dot'))
      return {
        kind: 'answered',
        retryElsewhere: false,
        outcomes: envelope.to.map((r) => accepted.has(r) ? this.outcome(r, sent, replyCode(info.response), info.response) : this.refused(r, info.rejectedErrors))
      }
    }
    return this.fromError(result.error, envelope)
  }

  /** A recipient the server refused at RCPT TO: its own reply, from nodemailer or from the dialogue. */
  private refused(recipient: string, errors: SMTPConnection.SMTPError[] | undefined): RecipientOutcome {
    const own = errors?.find((e) => e.recipient === recipient)
    const text = own?.response ?? this.dialogue.rcptReplies.get(recipient)
    if (text === undefined) {
      // nodemailer reported neither acceptance nor refusal: never call that sent.
      const unknown = { status: 'deferred' as const, enhanced: '4.5.0', human: `The server for ${this.target.domain} gave no clear answer for this recipient; this is temporary.`, unreachable: false }
      return this.outcome(recipient, unknown, undefined, 'no reply to RCPT TO')
    }
    return this.outcome(recipient, classifyReply({ code: replyCode(text), text }, this.context('rcpt')), replyCode(text), text)
  }

  private fromError(error: unknown, envelope: Envelope): TransactionResult {
    const e = (typeof error === 'object' && error !== null ? error : {}) as SMTPConnection.SMTPError
    const phase = phaseOfCommand(e.command, e.code, this.dialogue.phase)
    const answered = e.responseCode !== undefined && e.responseCode >= 400
    // Lost, timed out or garbled before the message went out: nothing is decided, another address may do better.
    if (!answered && !this.dialogue.dataStarted && CONNECTION_ERRORS.has(e.code ?? '')) {
      return { kind: 'no-transaction', failure: this.failure(error, phase) }
    }
    // Every RCPT refused: nodemailer lists each refusal.
    if (e.rejectedErrors !== undefined && e.rejectedErrors.length > 0 && phase === 'rcpt') {
      return { kind: 'answered', retryElsewhere: false, outcomes: envelope.to.map((r) => this.refused(r, e.rejectedErrors)) }
    }
    // The whole transaction: MAIL FROM or DATA refused, the message refused at the end, or the connection lost after it went out.
    const whole = classifyError(error, this.context(phase))
    const { code, text } = replyOf(error)
    const shown = code === undefined ? `${phase === 'dot' ? 'lost connection with' : 'conversation with'} ${this.relay} ${phase === 'dot' ? 'after the end of data' : `during ${phase}`}: ${text}` : text
    const outcomes = envelope.to.map((r) => {
      const rcpt = this.dialogue.mailAccepted ? this.dialogue.rcptReplies.get(r) : undefined
      if (rcpt !== undefined && !rcpt.startsWith('2')) return this.refused(r, undefined) // its own RCPT verdict stands
      return this.outcome(r, whole, code, shown)
    })
    return { kind: 'answered', outcomes, retryElsewhere: answered && whole.status === 'deferred' }
  }

  /** Ends the session politely (QUIT). Resolves when the connection is gone. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing
    const connection = this.connection
    this.closing = new Promise((resolve) => {
      if (connection === undefined || connection.destroyed) return resolve()
      connection.once('end', () => resolve())
      connection.quit()
    })
    return this.closing
  }

  /** Drops the connection at once. */
  destroy(): void {
    const connection = this.connection
    if (connection !== undefined && !connection.destroyed) connection.close()
  }

  // --- For direct delivery (direct.ts, esmtp.ts, pool.ts) ---

  /** Transactions started on this connection (MAIL FROM sent or refused locally). */
  transactions = 0

  /** The EHLO extensions of the session as it is now (after STARTTLS: the second EHLO's), upper-case keywords. */
  get extensions(): ReadonlyMap<string, string> {
    return this.dialogue.extensions
  }

  /** True when open() failed inside the TLS handshake after the server's 220 to STARTTLS. */
  get tlsHandshakeFailed(): boolean {
    return this.dialogue.tlsPending
  }

  /** Open, not closing, and its socket still writable: may carry another transaction. */
  get usable(): boolean {
    const connection = this.connection
    return connection !== undefined && !connection.destroyed && this.closing === undefined && connection._socket !== false && connection._socket?.writable === true
  }

  /** Calls back once when the connection ends, whoever ended it (the pool drops such a session). */
  onEnd(listener: () => void): void {
    const connection = this.connection
    if (connection === undefined || connection.destroyed) return listener()
    connection.once('end', listener)
  }

  /** RSET before reusing a pooled connection: true when the server answered 2xx (alive, no transaction open). */
  reset(): Promise<boolean> {
    const connection = this.connection
    if (connection === undefined || !this.usable) return Promise.resolve(false)
    return new Promise((resolve) => connection.reset((error) => resolve(error === null || error === undefined)))
  }
}
