// The one reply classifier: SMTP replies and socket/DNS/TLS errors → sent/deferred/failed, an RFC 3463 code and a human sentence.
import { DnsLookupError } from '../dns/resolver'
import { certificateProblem, classifySmartHostError } from './classify-config'
import type { OutcomeStatus } from './types'

export { classifyMailboxError } from './classify-config'

/** Where in the SMTP dialogue something happened; 'dot' is the reply to the end of the message data. */
export type SmtpPhase = 'connect' | 'greeting' | 'ehlo' | 'starttls' | 'auth' | 'mail' | 'rcpt' | 'data' | 'dot'

export interface ClassifyContext {
  /** The recipient domain, for sentences ("The server for example.com …"). */
  domain: string
  /** The server's name (MX host), when one was involved. */
  host?: string
  phase: SmtpPhase
  /**
   * Set when the server is a configured smart host (smarthost.ts): sentences name the smart host instead of
   * "the server for <domain>", and TLS, certificate and login trouble is explained as a configuration problem.
   */
  smartHost?: { user?: string; method?: string }
}

export interface Classification {
  status: OutcomeStatus
  /** RFC 3463 class.subject.detail. */
  enhanced: string
  /** One sentence a person understands. */
  human: string
  /** True when nothing could be reached (DNS or connect): the hint used for offline detection. */
  unreachable: boolean
}

export interface ReplyInput {
  code: number
  /** The reply text; may still carry the "550 " / "550-" prefixes and the enhanced code. */
  text: string
  enhanced?: string
}

const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)/

/** The enhanced status code at the start of a reply text (after any reply-code prefix), if there is one. */
export function parseEnhanced(text: string): string | undefined {
  const first = text.trimStart().replace(/^\d{3}[ -]?/, '')
  const match = ENHANCED.exec(first)
  return match === null ? undefined : `${match[1]}.${Number(match[2])}.${Number(match[3])}`
}

/** Sessions-level phases: a refusal there says nothing about the message, so even a 5xx is not final. */
const SESSION_PHASES: ReadonlySet<SmtpPhase> = new Set(['connect', 'greeting', 'ehlo', 'starttls', 'auth'])

/** Codes without an enhanced code in the text: derived from the reply code and the phase. */
function deriveEnhanced(code: number, phase: SmtpPhase): string {
  const cls = Math.floor(code / 100)
  if (code === 421) return '4.3.2'
  if (code === 500) return `${cls}.5.2`
  if (code === 501 || code === 504 || code === 555) return `${cls}.5.4`
  if (code === 502 || code === 503) return `${cls}.5.1`
  if (phase === 'rcpt') {
    const rcpt: Record<number, string> = { 450: '4.2.0', 451: '4.3.0', 452: '4.3.1', 550: '5.1.1', 551: '5.1.6', 552: '5.2.2', 553: '5.1.3' }
    if (rcpt[code] !== undefined) return rcpt[code]
  }
  if (phase === 'mail') {
    const mail: Record<number, string> = { 451: '4.3.0', 452: '4.3.1', 552: '5.3.4', 553: '5.1.7' }
    if (mail[code] !== undefined) return mail[code]
  }
  if (phase === 'data' || phase === 'dot') {
    const data: Record<number, string> = { 451: '4.3.0', 452: '4.3.1', 552: '5.3.4' }
    if (data[code] !== undefined) return data[code]
  }
  if (phase === 'starttls' && cls === 4) return '4.7.0'
  if (phase === 'auth') return code === 535 ? '5.7.8' : `${cls}.7.0`
  return `${cls === 2 || cls === 4 || cls === 5 ? cls : 4}.0.0`
}

/** What an enhanced code means, as the end of "The server for X says …". Keys: subject.detail, class-free. */
const MEANINGS: Record<string, string> = {
  '1.0': 'there is a problem with the address',
  '1.1': 'the mailbox does not exist',
  '1.2': 'it does not handle mail for that domain',
  '1.3': 'the recipient address is not valid',
  '1.4': 'the recipient address is ambiguous',
  '1.6': 'the mailbox has moved',
  '1.7': 'the sender address is not valid',
  '1.8': 'the sender address’s domain is not accepted',
  '1.10': 'the domain does not accept mail',
  '2.0': 'the mailbox is unavailable',
  '2.1': 'the mailbox is disabled',
  '2.2': 'the mailbox is full',
  '2.3': 'the message is larger than the mailbox accepts',
  '3.0': 'its mail system has a problem',
  '3.1': 'its mail system is out of storage',
  '3.2': 'it is not accepting messages right now',
  '3.4': 'the message is too big',
  '3.5': 'its mail system is not configured correctly',
  '4.0': 'there is a routing problem',
  '4.1': 'it could not reach the next server',
  '4.2': 'the connection was lost',
  '4.3': 'a name lookup failed on its side',
  '4.4': 'it cannot route the message',
  '4.6': 'the message is looping',
  '4.7': 'the message has been in transit too long',
  '5.3': 'the message has too many recipients',
  '6.0': 'it does not accept the message content',
  '7.0': 'the message is refused for security or policy reasons',
  '7.1': 'the message is refused by policy',
  '7.8': 'the login was refused',
  '7.23': 'the sender failed the SPF check',
  '7.25': 'our address has no valid reverse DNS name',
  '7.26': 'the message failed sender authentication (DMARC)',
  '7.27': 'the sender’s domain does not accept mail'
}

/** When the code says nothing specific (x.0.0 or unknown), the phase says what was refused. */
const PHASE_MEANINGS: Record<SmtpPhase, string> = {
  connect: 'it is not accepting connections',
  greeting: 'it is not accepting connections',
  ehlo: 'it does not accept our greeting',
  starttls: 'it could not start encryption',
  auth: 'the login was refused',
  mail: 'it does not accept the sender',
  rcpt: 'it does not accept this recipient',
  data: 'it does not accept the message',
  dot: 'it does not accept the message'
}

function meaningOf(enhanced: string, phase: SmtpPhase): string {
  const key = enhanced.slice(enhanced.indexOf('.') + 1)
  if (key === '0.0') return PHASE_MEANINGS[phase]
  return MEANINGS[key] ?? PHASE_MEANINGS[phase]
}

function serverOf(context: ClassifyContext): string {
  if (context.smartHost !== undefined) return `The smart host ${context.host ?? context.domain}`
  return `The server for ${context.domain}`
}

/** A sentence for a reply: "The server for example.com says the mailbox does not exist." */
function replySentence(status: OutcomeStatus, enhanced: string, context: ClassifyContext): string {
  if (status === 'sent') return `${serverOf(context)} accepted the message.`
  const meaning = meaningOf(enhanced, context.phase)
  return status === 'deferred'
    ? `${serverOf(context)} says ${meaning}; this is temporary.`
    : `${serverOf(context)} says ${meaning}.`
}

/**
 * 2xx → sent, 4xx → deferred, 5xx → failed; except that a 5xx before MAIL FROM (greeting, EHLO, STARTTLS,
 * AUTH) is deferred: a server that will not talk to us has said nothing about the message, and another
 * MX or a later try may work (Postfix's smtp_skip_5xx_greeting and smtp_sasl_auth_soft_bounce).
 * An enhanced code whose class contradicts the reply code gets the reply code's class (RFC 3463 §2).
 */
export function classifyReply(reply: ReplyInput, context: ClassifyContext): Classification {
  const cls = Math.floor(reply.code / 100)
  let status: OutcomeStatus
  if (cls === 2) status = 'sent'
  else if (cls === 5 && !SESSION_PHASES.has(context.phase)) status = 'failed'
  else status = 'deferred' // 4xx, session-phase 5xx, and anything unexpected (1xx, 3xx, garbage)
  const given = reply.enhanced !== undefined && ENHANCED.test(reply.enhanced) ? reply.enhanced : parseEnhanced(reply.text)
  let enhanced = given ?? deriveEnhanced(reply.code, context.phase)
  const expectedClass = status === 'sent' ? '2' : status === 'failed' ? '5' : '4'
  if (enhanced[0] !== expectedClass) enhanced = expectedClass + enhanced.slice(1)
  if (cls !== 2 && cls !== 4 && cls !== 5) {
    return { status, enhanced: '4.5.0', human: `${serverOf(context)} gave an unexpected reply (${reply.code}); this is temporary.`, unreachable: false }
  }
  return { status, enhanced, human: replySentence(status, enhanced, context), unreachable: false }
}

/** The DNS part of routing, the same sentences mx.ts uses. */
export function classifyDnsError(error: DnsLookupError, context: ClassifyContext): Classification {
  if (context.smartHost !== undefined) {
    // A configured smart host that cannot be looked up is "cannot reach at all": the next route may do better.
    const missing = error.kind === 'temporary' ? 'could not be looked up in DNS; this may be temporary' : 'cannot be found in DNS; check the route\'s host'
    return { status: 'deferred', enhanced: '4.4.3', human: `The smart host ${error.hostname} ${missing}.`, unreachable: true }
  }
  const own = error.hostname.toLowerCase().replace(/\.$/, '') === context.domain.toLowerCase().replace(/\.$/, '')
  if (error.kind === 'nxdomain' && own) {
    return { status: 'failed', enhanced: '5.1.2', human: `The domain ${context.domain} does not exist.`, unreachable: false }
  }
  if (error.kind === 'nodata' && own) {
    return { status: 'failed', enhanced: '5.4.4', human: `The domain ${context.domain} has no mail server (no MX, A or AAAA record).`, unreachable: false }
  }
  if (!own && error.kind !== 'temporary') {
    return { status: 'deferred', enhanced: '4.4.3', human: `The mail server ${error.hostname} named for ${context.domain} cannot be found in DNS; this may be temporary.`, unreachable: false }
  }
  return { status: 'deferred', enhanced: '4.4.3', human: `The name servers did not give a usable answer for ${error.hostname}; this is temporary.`, unreachable: error.noServer }
}

interface ErrorShape {
  code?: string
  originalCode?: string
  responseCode?: number
  response?: string
  command?: string
  message?: string
  timeoutType?: string
  /** OpenSSL's short reason ("wrong version number"). */
  reason?: string
}

function shapeOf(error: unknown): ErrorShape {
  if (typeof error !== 'object' || error === null) return { message: String(error) }
  const e = error as Record<string, unknown>
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
  return {
    code: str(e.code),
    originalCode: str(e.originalCode),
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
    response: str(e.response),
    command: str(e.command),
    message: str(e.message),
    timeoutType: str(e.timeoutType),
    reason: str(e.reason)
  }
}

/** The phase nodemailer's err.command names; 'CONN' and 'API' say nothing, the caller's phase stands. */
export function phaseOfCommand(command: string | undefined, code: string | undefined, fallback: SmtpPhase): SmtpPhase {
  switch (command?.split(' ')[0]?.toUpperCase()) {
    case 'MAIL': return 'mail'
    case 'RCPT': return 'rcpt'
    case 'DATA': return code === 'EMESSAGE' ? 'dot' : 'data'
    case 'EHLO': case 'HELO': case 'LHLO': return 'ehlo'
    case 'STARTTLS': return 'starttls'
    case 'AUTH': return 'auth'
    default: return fallback
  }
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL'])
const LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNECTION', 'ESOCKET', 'ECONNABORTED'])

/** A few words on what went wrong with a connection, for lists of attempts and log lines. */
export function shortReason(error: unknown): string {
  const e = shapeOf(error)
  if (e.responseCode !== undefined && e.response !== undefined) return e.response.split(/\r?\n/)[0] ?? e.response
  const code = e.originalCode ?? e.code
  switch (code) {
    case 'ECONNREFUSED': return 'connection refused'
    case 'EHOSTUNREACH': case 'EHOSTDOWN': return 'no route to host'
    case 'ENETUNREACH': case 'ENETDOWN': return 'network unreachable'
    case 'ETIMEDOUT': return e.timeoutType === 'GREETING_TIMEOUT' ? 'no greeting in time' : 'timed out'
    case 'ECONNRESET': return 'connection reset'
    default:
      if (code?.startsWith('ERR_SSL') === true || code === 'ETLS') return `TLS handshake failed (${e.reason ?? e.message?.trim() ?? code})`
      return (e.message ?? code ?? 'unknown error').replace(/\s+/g, ' ').trim()
  }
}

function isTlsFailure(e: ErrorShape, phase: SmtpPhase): boolean {
  return e.code === 'ETLS' || e.timeoutType === 'UPGRADE_TIMEOUT' || (phase === 'starttls' && (e.originalCode ?? e.code ?? '').startsWith('ERR_SSL'))
}

/**
 * Errors from nodemailer (err.code ECONNECTION/ETIMEDOUT/ESOCKET/EDNS/ETLS/EAUTH/EENVELOPE/EMESSAGE/EPROTOCOL, with
 * responseCode/response when the server answered), raw socket errors and DnsLookupError.
 * Failing to connect is deferred 4.4.1 and unreachable; a connection lost later is deferred 4.4.2.
 */
export function classifyError(error: unknown, context: ClassifyContext): Classification {
  if (error instanceof DnsLookupError) return classifyDnsError(error, context)
  const e = shapeOf(error)
  const phase = phaseOfCommand(e.command, e.code, context.phase)
  const ctx = { ...context, phase }
  const smartHost = classifySmartHostError(e, phase, context)
  if (smartHost !== undefined) return smartHost
  // A positive reply inside an error (nodemailer's "Unexpected Response") is a protocol problem, never a success.
  if (e.responseCode !== undefined && e.responseCode >= 400) {
    return classifyReply({ code: e.responseCode, text: e.response ?? e.message ?? '' }, ctx)
  }
  const server = context.smartHost !== undefined ? `the smart host ${context.host ?? context.domain}`
    : context.host !== undefined ? `the mail server ${context.host} for ${context.domain}` : `the server for ${context.domain}`
  const Server = server[0]!.toUpperCase() + server.slice(1)
  const code = e.originalCode ?? e.code ?? ''
  const deferred = (enhanced: string, human: string, unreachable = false): Classification => ({ status: 'deferred', enhanced, human, unreachable })
  const failed = (enhanced: string, human: string): Classification => ({ status: 'failed', enhanced, human, unreachable: false })

  const certificate = certificateProblem(e)
  if (certificate !== undefined) {
    return deferred('4.7.5', `The certificate of ${context.host ?? context.domain} is not trusted (${certificate}) – set tls.rejectUnauthorized false only for test servers.`)
  }
  if (e.code === 'EDNS') return deferred('4.4.3', `The address of ${context.host ?? context.domain} could not be looked up; this is temporary.`, true)
  if (isTlsFailure(e, phase)) return deferred('4.4.2', `${Server} could not set up an encrypted connection; this is temporary.`)
  if (phase === 'connect' && (UNREACHABLE_CODES.has(code) || code === 'ETIMEDOUT' || LOST_CODES.has(code))) {
    const what = code === 'ECONNREFUSED' ? 'refused the connection' : code === 'ETIMEDOUT' ? 'did not answer' : 'could not be reached'
    return deferred('4.4.1', `${Server} ${what}.`, true)
  }
  if (UNREACHABLE_CODES.has(code)) return deferred('4.4.1', `${Server} could not be reached.`, true)
  if (phase === 'dot' && (code === 'ETIMEDOUT' || LOST_CODES.has(code))) {
    // The duplicate window: the whole message went out and the verdict never came back.
    return deferred('4.4.2', `The connection to ${server} was lost after the message was sent; it may have been delivered, and trying again may deliver it twice.`)
  }
  if (code === 'ETIMEDOUT') return deferred('4.4.2', phase === 'greeting' ? `${Server} did not greet us in time.` : `${Server} stopped answering.`)
  if (LOST_CODES.has(code)) return deferred('4.4.2', `The connection to ${server} was lost.`)
  if (e.code === 'EAUTH') return deferred('4.7.8', `Logging in to ${server} failed.`)
  if (e.code === 'EMESSAGE') {
    // nodemailer refuses locally, before MAIL FROM, a message over the size the server announced (SIZE).
    const limit = /larger than allowed (\d+)/.exec(e.message ?? '')
    if (limit !== null) return failed('5.3.4', `The server for ${context.domain} accepts messages up to ${limit[1]} bytes, and this one is bigger.`)
    return failed('5.6.0', `The message could not be sent to ${context.domain}: ${e.message ?? 'invalid message'}.`)
  }
  if (e.code === 'EENVELOPE') return failed('5.1.3', `An address of this message cannot be used in SMTP (${e.message ?? 'invalid address'}).`)
  if (e.code === 'EPROTOCOL') return deferred('4.5.0', `${Server} broke the SMTP protocol; this is temporary.`)
  return deferred('4.0.0', `Delivery to ${context.domain} failed: ${e.message ?? 'unknown error'}.`)
}

/** The code and text of a reply carried by an error, or a Postfix-style description when there was none. */
export function replyOf(error: unknown): { code?: number; text: string } {
  const e = shapeOf(error)
  if (e.responseCode !== undefined) return { code: e.responseCode, text: e.response ?? e.message ?? '' }
  return { text: error instanceof DnsLookupError ? error.message : shortReason(error) }
}
