// Builds an RFC 3464 delivery status notification: multipart/report with a human part, message/delivery-status, and the original.
// Output: CRLF line ends, no line over 998 octets in what we write, and no header built from unsanitised outside text.
import { randomBytes } from 'node:crypto'
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp'
import { newMessageId } from '../submission/prepare'
import { deliveryStatusBlock, foldField, oneLine, rfc5322Date, safeAddress } from './dsn-fields'
import { NOTICE_SUBJECTS, humanText, type ReturnedContent } from './dsn-text'
import type { NoticeRequest } from './types'

/** Largest original returned whole for RET=FULL; bigger messages get their headers only (Postfix: bounce_size_limit). */
export const DEFAULT_MAX_RETURN_BYTES = 512 * 1024
/** Largest header section returned; longer ones are cut at a line end. */
export const DEFAULT_MAX_HEADER_BYTES = 64 * 1024

export interface DsnBuildInput extends Pick<NoticeRequest, 'kind' | 'envelope' | 'recipients' | 'data' | 'now'> {
  /** Our host name: Reporting-MTA and MAILER-DAEMON@hostname. */
  hostname: string
  maxReturnBytes?: number
  maxHeaderBytes?: number
  /** Message-ID of the notice (tests); default a new one. */
  messageId?: string
  /** MIME boundary (tests); default random. Replaced if the original contains it. */
  boundary?: string
}

export interface BuiltNotice {
  /** The whole notice, CRLF line ends. */
  data: Buffer
  messageId: string
  subject: string
}

const CRLF = '\r\n'
/** RFC 5322 §2.1.1: at most 998 octets per line, without the CRLF. */
const MAX_LINE = 998

/** Where the header section of a raw message ends (index of the empty line's start) and the body begins. */
export function splitHeaders(data: Buffer): { headers: Buffer; bodyStart: number } {
  if (data.subarray(0, 2).toString('latin1') === CRLF) return { headers: Buffer.alloc(0), bodyStart: 2 }
  if (data[0] === 0x0a) return { headers: Buffer.alloc(0), bodyStart: 1 }
  const crlf = data.indexOf('\r\n\r\n')
  const lf = data.indexOf('\n\n')
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { headers: data.subarray(0, crlf + 2), bodyStart: crlf + 4 }
  if (lf !== -1) return { headers: data.subarray(0, lf + 1), bodyStart: lf + 2 }
  return { headers: data, bodyStart: data.length }
}

/** Cuts a header section at the last line end within `limit` bytes. */
function cutHeaders(headers: Buffer, limit: number): Buffer {
  if (headers.length <= limit) return headers
  const end = headers.lastIndexOf(0x0a, limit - 1)
  return end === -1 ? Buffer.alloc(0) : headers.subarray(0, end + 1)
}

function withFinalCrlf(bytes: Buffer): Buffer {
  if (bytes.length === 0) return bytes
  if (bytes.subarray(-2).toString('latin1') === CRLF) return bytes
  return Buffer.concat([bytes, Buffer.from(bytes[bytes.length - 1] === 0x0a ? '' : CRLF, 'latin1')])
}

/** Bare LF → CRLF (the spool stores CRLF already; this keeps a damaged original from breaking the notice). */
function toCrlf(bytes: Buffer): Buffer {
  if (!bytes.includes(0x0a)) return bytes
  return Buffer.from(bytes.toString('latin1').replace(/\r?\n/g, CRLF), 'latin1')
}

/** Longest line in octets (without its line end). */
function longestLine(bytes: Buffer): number {
  let longest = 0
  let start = 0
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, start)) {
    longest = Math.max(longest, at - start - (at > start && bytes[at - 1] === 0x0d ? 1 : 0))
    start = at + 1
  }
  return Math.max(longest, bytes.length - start)
}

/** Header lines over 998 octets (only a damaged original has them) are cut, so the notice itself stays valid. */
function cutLongLines(bytes: Buffer): Buffer {
  if (longestLine(bytes) <= MAX_LINE) return bytes
  const lines = bytes.toString('latin1').split('\r\n').map((line) => line.slice(0, MAX_LINE))
  return Buffer.from(lines.join('\r\n'), 'latin1')
}

function has8bit(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte >= 0x80) return true
  return false
}

interface OriginalPart {
  contentType: string
  description: string
  body: Buffer
  returned: ReturnedContent
}

/** RET=FULL returns the message (message/rfc822) unless it is too large; otherwise, and for delay notices, the headers. */
function originalPart(input: DsnBuildInput): OriginalPart {
  const maxReturn = input.maxReturnBytes ?? DEFAULT_MAX_RETURN_BYTES
  const maxHeaders = input.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES
  const wantsFull = input.envelope.dsn?.ret === 'FULL' && input.kind !== 'delay'
  const fits = input.data.length <= maxReturn
  const longLines = wantsFull && fits && longestLine(input.data) > MAX_LINE
  if (wantsFull && fits && !longLines) {
    return { contentType: 'message/rfc822', description: 'Undelivered Message', body: withFinalCrlf(toCrlf(input.data)), returned: { kind: 'full' } }
  }
  const { headers } = splitHeaders(input.data)
  const cut = cutHeaders(headers, maxHeaders)
  let returned: ReturnedContent = { kind: 'headers' }
  if (longLines) returned = { kind: 'headers-instead-of-long-lines' }
  else if (wantsFull) returned = { kind: 'headers-instead-of-full', size: input.data.length, limit: maxReturn }
  else if (cut.length < headers.length) returned = { kind: 'headers-truncated', limit: maxHeaders }
  const description = input.kind === 'delay' ? 'Delayed Message Headers' : 'Undelivered Message Headers'
  return { contentType: 'text/rfc822-headers', description, body: cutLongLines(withFinalCrlf(toCrlf(cut))), returned }
}

function randomBoundary(): string {
  return `=_mailroom_${randomBytes(12).toString('hex')}`
}

function validMessageId(id: string | null): string | null {
  if (id === null) return null
  const flat = oneLine(id, 998)
  return /^<[^<>\s]+>$/.test(flat) ? flat : null
}

/** Builds the notice for one NoticeRequest; pure apart from the random Message-ID/boundary when not given. */
export function buildDsn(input: DsnBuildInput): BuiltNotice {
  const hostname = oneLine(input.hostname, 255).replace(/[\s<>"]/g, '')
  const subject = NOTICE_SUBJECTS[input.kind]
  const messageId = input.messageId ?? newMessageId(hostname, input.now)
  const original = originalPart(input)
  let boundary = input.boundary ?? randomBoundary()
  while (original.body.includes(boundary)) boundary = randomBoundary()

  const status = deliveryStatusBlock({ kind: input.kind, hostname, envelope: input.envelope, recipients: input.recipients, now: input.now })
  const text = humanText({ kind: input.kind, hostname, envelope: input.envelope, recipients: input.recipients, now: input.now, returned: original.returned })
  const originalId = validMessageId(input.envelope.messageId)

  const top = [
    `From: "Mail Delivery System" <MAILER-DAEMON@${hostname}>`,
    `To: <${safeAddress(input.envelope.sender)}>`,
    `Subject: ${subject}`,
    `Date: ${rfc5322Date(input.now)}`,
    `Message-ID: ${oneLine(messageId, 500)}`,
    ...(originalId !== null ? [`In-Reply-To: ${originalId}`, `References: ${originalId}`] : []),
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    `Content-Description: ${input.kind === 'delay' ? 'Delay' : 'Non-delivery'} notification`
  ].map(foldField)

  const humanPart = [
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    'Content-Description: Notification',
    '',
    qpWrap(qpEncode(Buffer.from(text.replace(/\n/g, CRLF), 'utf8')), 76)
  ].join(CRLF)

  const statusType = status.global ? 'message/global-delivery-status' : 'message/delivery-status'
  const statusPart = [`Content-Type: ${statusType}`, 'Content-Description: Delivery report', '', status.text].join(CRLF)

  const originalHead = [
    `Content-Type: ${original.contentType}`,
    `Content-Description: ${original.description}`,
    ...(has8bit(original.body) ? ['Content-Transfer-Encoding: 8bit'] : []),
    '',
    ''
  ].join(CRLF)

  const head = [
    ...top,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    humanPart,
    `--${boundary}`,
    statusPart,
    `--${boundary}`,
    ''
  ].join(CRLF)
  const data = Buffer.concat([
    Buffer.from(head, 'utf8'),
    Buffer.from(originalHead, 'latin1'),
    original.body,
    Buffer.from(`${CRLF}--${boundary}--${CRLF}`, 'latin1')
  ])
  return { data, messageId, subject }
}
