// The Received: header the listener puts on top of every message it accepts (RFC 5321 §4.4, protocol names of RFC 3848).
import { rfc5322Date } from '../submission/prepare'

export interface ReceivedInfo {
  /** What the client said in HELO/EHLO ('' when it never did). */
  helo: string
  /** 'HELO' or 'EHLO'. */
  openingCommand: string
  clientAddress: string
  /** Reverse-resolved name, if any (the listener does no DNS: '' usually). */
  clientHostname: string
  /** Our host name. */
  hostname: string
  tls: { protocol: string; cipher: string } | null
  authenticated: boolean
  /** Named in "for <…>" only when there is exactly one recipient (as Postfix does; more would leak Bcc recipients). */
  recipients: readonly string[]
  now: number
}

/** HELO text and names as printable ASCII without the characters that would break the header's comment syntax. */
function clean(text: string, max = 255): string {
  return text.replace(/[^\x21-\x7e]/g, '?').replace(/[()\\]/g, '?').slice(0, max)
}

/** ESMTP, ESMTPS, ESMTPA, ESMTPSA, or SMTP after HELO. */
export function protocolName(openingCommand: string, tls: boolean, authenticated: boolean): string {
  if (openingCommand.toUpperCase() !== 'EHLO') return 'SMTP'
  return `ESMTP${tls ? 'S' : ''}${authenticated ? 'A' : ''}`
}

/** The header field with its CRLF, folded over three lines. */
export function receivedHeader(info: ReceivedInfo): string {
  const helo = info.helo === '' ? 'unknown' : clean(info.helo)
  const address = info.clientAddress.includes(':') ? `IPv6:${info.clientAddress}` : info.clientAddress
  const host = info.clientHostname === '' ? 'localhost' : clean(info.clientHostname)
  const tls = info.tls === null ? '' : ` (using ${clean(info.tls.protocol, 32)} with cipher ${clean(info.tls.cipher, 64)})`
  const protocol = protocolName(info.openingCommand, info.tls !== null, info.authenticated)
  const recipient = info.recipients.length === 1 ? `\r\n\tfor <${clean(info.recipients[0] as string, 320)}>` : ''
  return `Received: from ${helo} (${host} [${address}])\r\n\tby ${clean(info.hostname)} (Mailroom) with ${protocol}${tls}${recipient}; ${rfc5322Date(info.now)}\r\n`
}
