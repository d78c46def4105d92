// The machine-readable part of a DSN (RFC 3464 message/delivery-status) and the text-safety helpers every part uses.
// Nothing from a remote server or an envelope reaches a header or field line without losing its CR/LF first.
import type { SmtpReplyInfo } from '../../shared/contract'
import type { Envelope } from '../queue/envelope'
import type { NoticeKind, NoticeRecipient } from './types'

/** Longest reply or diagnostic text carried into a notice; replies longer than this are cut with "…". */
export const MAX_REPLY_CHARS = 2000
/** Fold field lines at white space past this many characters (RFC 5322 recommends 78; 998 is the hard limit). */
const FOLD_AT = 76
/** A line with no white space is broken hard here, far below 998 octets even for 4-byte UTF-8 characters. */
const HARD_BREAK_AT = 240

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** RFC 5322 date-time in UTC: `Mon, 06 Jan 2025 09:00:00 +0000`. */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms)
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
}

/** One line of text from outside (reply, address, subject): control characters (CR, LF, NUL, …) become one space, cut to `max`. */
export function oneLine(text: string, max = MAX_REPLY_CHARS): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const flat = text.replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/ {2,}/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

/** An address for a header or field: one line, no angle brackets (so `<` … `>` around it cannot be broken out of). */
export function safeAddress(address: string): string {
  return oneLine(address, 512).replace(/[<>\s]/g, '')
}

/**
 * Folds a `Name: value` line at white space so no line passes FOLD_AT (when it can) and none gets near 998 octets;
 * continuation lines start with a space (RFC 5322 §2.2.3). Lines are joined with CRLF.
 */
export function foldField(line: string): string {
  const out: string[] = []
  let rest = line
  while (rest.length > FOLD_AT) {
    // A break at index 0 would be the space that starts a continuation line: not a break.
    let cut = rest.lastIndexOf(' ', FOLD_AT)
    if (cut <= 0) cut = rest.indexOf(' ', FOLD_AT + 1)
    if (cut <= 0 || cut > HARD_BREAK_AT) {
      if (rest.length <= HARD_BREAK_AT) break
      cut = HARD_BREAK_AT
      if (/[\ud800-\udbff]/.test(rest.charAt(cut - 1))) cut -= 1
    }
    out.push(rest.slice(0, cut))
    rest = rest.slice(cut)
    if (!rest.startsWith(' ')) rest = ` ${rest}`
  }
  out.push(rest)
  return out.join('\r\n')
}

const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3}$/

/** The RFC 3463 status for a recipient: the reply's enhanced code when valid, else 4.0.0 (delay) / 5.0.0. */
export function statusFor(kind: NoticeKind, reply: SmtpReplyInfo | null): string {
  if (kind === 'deleted') return '5.0.0'
  const fallback = kind === 'delay' ? '4.0.0' : '5.0.0'
  const enhanced = reply?.enhanced?.trim()
  if (enhanced === undefined || !ENHANCED.test(enhanced)) return fallback
  // A delay is never reported with a permanent code; a failure may carry 4.x.x (e.g. 4.4.7 after the lifetime).
  if (kind === 'delay' && !enhanced.startsWith('4.')) return fallback
  return enhanced
}

/** The host name out of `name[ip]:port` (the maillog relay form), or the text itself when it is a plain name. */
export function remoteMtaName(host: string | undefined): string | null {
  if (host === undefined) return null
  const name = oneLine(host, 255).replace(/\[.*$/, '').replace(/:\d+$/, '').trim()
  return /^[A-Za-z0-9.-]+$/.test(name) && name !== '' ? name : null
}

/** `550 5.1.1 text` from a reply: the code once (the text may already start with it), multi-line replies on one line. */
export function replyLine(reply: SmtpReplyInfo): string {
  const text = oneLine(reply.text)
  if (reply.code === undefined) return text
  const withoutCode = text.replace(new RegExp(`^${reply.code}[ -]?`), '').replace(new RegExp(` ${reply.code}[ -]`, 'g'), ' ')
  return `${reply.code} ${withoutCode}`.trim()
}

/** RFC 3464 address type: rfc822 for ASCII, utf-8 (RFC 6533) when the address has non-ASCII characters. */
function typedAddress(address: string): string {
  const clean = safeAddress(address)
  // eslint-disable-next-line no-control-regex -- non-ASCII test
  return /[^\x00-\x7f]/.test(clean) ? `utf-8; ${clean}` : `rfc822; ${clean}`
}

export interface StatusBlockInput {
  kind: NoticeKind
  hostname: string
  envelope: Envelope
  recipients: NoticeRecipient[]
  now: number
}

function recipientFields(kind: NoticeKind, r: NoticeRecipient, now: number): string[] {
  const fields: string[] = []
  fields.push(`Original-Recipient: ${typedAddress(r.original !== '' ? r.original : r.address)}`)
  fields.push(`Final-Recipient: ${typedAddress(r.address)}`)
  fields.push(`Action: ${kind === 'delay' ? 'delayed' : 'failed'}`)
  fields.push(`Status: ${statusFor(kind, r.reply)}`)
  const remote = remoteMtaName(r.reply?.host)
  if (remote !== null) fields.push(`Remote-MTA: dns; ${remote}`)
  if (r.reply !== null && r.reply.text.trim() !== '') {
    fields.push(r.reply.code !== undefined ? `Diagnostic-Code: smtp; ${replyLine(r.reply)}` : `Diagnostic-Code: X-Mailroom; ${oneLine(r.reply.text)}`)
  }
  if (r.attempts > 0) fields.push(`Last-Attempt-Date: ${rfc5322Date(now)}`)
  if (kind === 'delay' && r.willRetryUntil !== undefined) fields.push(`Will-Retry-Until: ${rfc5322Date(r.willRetryUntil)}`)
  return fields
}

/**
 * The body of the message/delivery-status part: per-message fields, then one block per recipient, blocks separated
 * by an empty line, CRLF line ends. `global` is true when a field carries UTF-8 (then the part is
 * message/global-delivery-status, RFC 6533).
 */
export function deliveryStatusBlock(input: StatusBlockInput): { text: string; global: boolean } {
  const { envelope } = input
  const perMessage = [`Reporting-MTA: dns; ${oneLine(input.hostname, 255)}`, `X-Mailroom-Queue-ID: ${oneLine(envelope.id, 64)}`]
  if (envelope.sender !== '') perMessage.push(`X-Mailroom-Sender: ${typedAddress(envelope.sender)}`)
  const envid = envelope.dsn?.envid
  if (envid !== undefined && oneLine(envid) !== '') perMessage.push(`Original-Envelope-Id: ${oneLine(envid, 100)}`)
  perMessage.push(`Arrival-Date: ${rfc5322Date(envelope.createdAt)}`)
  const blocks = [perMessage, ...input.recipients.map((r) => recipientFields(input.kind, r, input.now))]
  const text = blocks.map((fields) => fields.map(foldField).join('\r\n') + '\r\n').join('\r\n')
  // eslint-disable-next-line no-control-regex -- non-ASCII test
  return { text, global: /[^\x00-\x7f]/.test(text) }
}
