// What a message needs from the next hop's ESMTP extensions (SIZE, 8BITMIME, SMTPUTF8), DSN parameters (RFC 3461), 452 limits.
//
// The checks run before MAIL FROM, on the EHLO reply the session keeps (dialogue.ts), so a message the server cannot
// take is refused here with a clear sentence instead of being sent and refused (or, worse, silently mangled) there.
// There is no 7-bit downgrade: re-encoding 8-bit MIME parts to quoted-printable without breaking signatures or
// structure is something no library available to us does well, so such a message is refused (5.6.3) and says why.
import { domainToASCII } from 'node:url'
import type SMTPConnection from 'nodemailer/lib/smtp-connection/index.js'
import type { Classification } from './classify'
import type { DeliveryDsn } from './types'

/** True when any byte of the message has the high bit set (an 8-bit body or raw UTF-8 headers). */
export function has8bitData(data: Buffer): boolean {
  for (const byte of data) if (byte > 0x7f) return true
  return false
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false
  return true
}

/**
 * The form of an address to put on the wire: an internationalised domain becomes its A-label (punycode), which any
 * server accepts; only a non-ASCII local part needs SMTPUTF8. Returns null when the local part is not ASCII.
 */
export function asciiAddress(address: string): string | null {
  const at = address.lastIndexOf('@')
  const local = at < 0 ? address : address.slice(0, at)
  if (!isAscii(local)) return null
  if (at < 0) return address
  const domain = address.slice(at + 1)
  if (isAscii(domain) || domain.startsWith('[')) return address
  const ascii = domainToASCII(domain)
  return ascii === '' ? null : `${local}@${ascii}`
}

export interface FitProblem extends Classification {
  /** Postfix-style technical text for the log and the reply. */
  text: string
}

export interface FitInput {
  /** EHLO extensions, upper-case keyword → parameters. */
  extensions: ReadonlyMap<string, string>
  /** The recipient domain, for sentences. */
  domain: string
  /** name[ip]:port of the server. */
  relay: string
  sender: string
  data: Buffer
}

function failed(enhanced: string, human: string, text: string): FitProblem {
  return { status: 'failed', enhanced, human, text, unreachable: false }
}

/**
 * Whether the server can take this message at all (checked before MAIL FROM). SIZE: bigger than the announced limit
 * → 5.3.4 (RFC 1870: SIZE without a number, or 0, means no limit). 8-bit data without 8BITMIME → 5.6.3.
 * A non-ASCII sender local part without SMTPUTF8 → 5.6.7.
 */
export function messageProblem(input: FitInput): FitProblem | null {
  const { extensions, domain, relay, data } = input
  const limit = Number(extensions.get('SIZE') ?? '0')
  if (extensions.has('SIZE') && Number.isFinite(limit) && limit > 0 && data.length > limit) {
    return failed('5.3.4', `The message is ${data.length} bytes and the server for ${domain} accepts at most ${limit} bytes, so it was not sent; send a smaller message (for example without large attachments).`,
      `message size ${data.length} exceeds size limit ${limit} of server ${relay}`)
  }
  if (!extensions.has('8BITMIME') && has8bitData(data)) {
    return failed('5.6.3', `The server for ${domain} cannot take 8-bit mail, and this message contains 8-bit text that is not encoded for 7-bit transport; it was not sent.`,
      `server ${relay} does not support 8BITMIME and the message has 8-bit content`)
  }
  if (!extensions.has('SMTPUTF8') && asciiAddress(input.sender) === null) {
    return failed('5.6.7', `The sender address ${input.sender} has non-ASCII characters before the @, and the server for ${domain} does not accept such addresses (no SMTPUTF8).`,
      `SMTPUTF8 is required for sender ${input.sender}, but was not offered by host ${relay}`)
  }
  return null
}

/** A recipient whose local part is not ASCII, to a server without SMTPUTF8: failed 5.6.7 before RCPT TO. */
export function recipientProblem(recipient: string, input: Omit<FitInput, 'sender' | 'data'>): FitProblem | null {
  if (input.extensions.has('SMTPUTF8') || asciiAddress(recipient) !== null) return null
  return failed('5.6.7', `The address ${recipient} has non-ASCII characters before the @, and the server for ${input.domain} does not accept such addresses (no SMTPUTF8).`,
    `SMTPUTF8 is required for recipient ${recipient}, but was not offered by host ${input.relay}`)
}

/**
 * "452 4.5.3 Too many recipients" (RFC 5321 §4.5.3.1.10): the server's limit per transaction, not a problem with the
 * mailbox. The recipients so refused go in a new transaction on the same connection (Postfix does the same).
 */
export function isTooManyRecipients(code: number | undefined, text: string): boolean {
  if (code !== 452) return false
  return /\b4\.5\.3\b/.test(text) || /too many recipients/i.test(text)
}

/** The ORCPT value for a recipient's original address (rfc822; ASCII only: a UTF-8 original would need RFC 6533). */
export function orcptOf(original: string | undefined): string | null {
  if (original === undefined || original === '' || !isAscii(original)) return null
  return `rfc822;${original}`
}

/**
 * nodemailer's envelope.dsn: RET and ENVID on MAIL FROM, NOTIFY on every RCPT TO, xtext-encoded by nodemailer and sent
 * only when the server offers DSN. Present (maybe empty) whenever there are originals, so ORCPT can go out.
 */
export function nodemailerDsn(dsn: DeliveryDsn | undefined, withOriginals: boolean): { ret?: string; envid?: string; notify?: string[] } | undefined {
  if (dsn === undefined && !withOriginals) return undefined
  const out: { ret?: string; envid?: string; notify?: string[] } = {}
  if (dsn?.ret !== undefined) out.ret = dsn.ret
  if (dsn?.envid !== undefined && dsn.envid !== '') out.envid = dsn.envid
  if (dsn?.notify !== undefined && dsn.notify.length > 0) out.notify = dsn.notify
  return out
}

interface NodemailerInternals {
  _envelope: { dsn?: { orcpt?: string | null } | null } | false
  _sendRcpt(recipient: string, callback: unknown): void
}

/**
 * Per-recipient ORCPT. nodemailer (pinned 10.6.1) sends one envelope-wide ORCPT; RFC 3461 wants each recipient's own
 * original address. We wrap its internal _sendRcpt on this one connection to set the value before each RCPT TO is
 * written. tests/unit/delivery/direct-esmtp.test.ts checks the parameters the server receives, so an upgrade that
 * renames the internal fails a test instead of silently dropping ORCPT.
 */
export function installPerRecipientOrcpt(connection: SMTPConnection, originalOf: (wireRecipient: string) => string | undefined): void {
  const installed = orcptLookups.get(connection)
  if (installed !== undefined) {
    installed.originalOf = originalOf // a pooled connection: the wrapper is already there, only the message changed
    return
  }
  const internals = connection as unknown as NodemailerInternals
  const sendRcpt = internals._sendRcpt
  if (typeof sendRcpt !== 'function') return
  const state = { originalOf }
  orcptLookups.set(connection, state)
  internals._sendRcpt = function (this: NodemailerInternals, recipient: string, callback: unknown): void {
    const dsn = this._envelope === false ? undefined : this._envelope.dsn
    // xtext-encoding happens in nodemailer; it only ever sees the address part here.
    if (dsn !== undefined && dsn !== null) dsn.orcpt = orcptOf(state.originalOf(recipient))
    sendRcpt.call(this, recipient, callback)
  }
}

const orcptLookups = new WeakMap<SMTPConnection, { originalOf: (wireRecipient: string) => string | undefined }>()
