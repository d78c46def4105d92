// The Bcc line of a Sent copy: submission strips Bcc before queueing (the recipients must not see it), but the
// sender's own copy should still say who got a blind copy. Pure.
import addressparser, { type Address } from 'nodemailer/lib/addressparser'
import type { Envelope } from '../queue/envelope'
import { headerFields } from './match'

function addressesOf(entries: Address[]): string[] {
  return entries.flatMap((e) => (e.group !== undefined ? addressesOf(e.group) : e.address === '' ? [] : [e.address.toLowerCase()]))
}

/** Envelope recipients (as first submitted) that no To/Cc header names: the blind copies. */
export function blindRecipients(envelope: Envelope, raw: Buffer): string[] {
  const shown = new Set<string>()
  for (const field of headerFields(raw)) {
    const colon = field.indexOf(':')
    if (colon === -1) continue
    const name = field.slice(0, colon).trim().toLowerCase()
    if (['to', 'cc', 'resent-to', 'resent-cc'].includes(name)) for (const a of addressesOf(addressparser(field.slice(colon + 1)))) shown.add(a)
  }
  const blind: string[] = []
  for (const r of envelope.recipients) {
    const address = r.original
    if (!shown.has(address.toLowerCase()) && !shown.has(r.address.toLowerCase()) && !blind.includes(address)) blind.push(address)
  }
  return blind
}

/** The copy to append: a folded `Bcc:` field in front of the message when there were blind copies, else the message. */
export function withBcc(raw: Buffer, bcc: readonly string[]): Buffer {
  if (bcc.length === 0) return raw
  return Buffer.concat([Buffer.from(`Bcc: ${bcc.join(',\r\n ')}\r\n`, 'utf8'), raw])
}
