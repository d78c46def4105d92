// Which messages get a Sent-folder copy and in which account, and the internal date of the copy. Pure.
// Rule: origin ui or cli (never the queue's own notices, never mail relayed for other programs by the listener),
// the envelope sender is an account's email or an identity bound to an account (case-insensitive), and at least
// one recipient was sent: a message that failed for everyone was not sent, and its bounce says so.
import type { Config } from '../config/schema'
import type { Envelope } from '../queue/envelope'

/** The id of the account whose Sent mailbox gets a copy of this message, or null when none does. */
export function sentAccountFor(envelope: Envelope, config: Pick<Config, 'accounts' | 'identities'>): string | null {
  if (envelope.origin !== 'ui' && envelope.origin !== 'cli') return null
  if (envelope.sender === '') return null
  if (!envelope.recipients.some((r) => r.state === 'sent')) return null
  const sender = envelope.sender.toLowerCase()
  const identity = config.identities.find((i) => i.accountId !== undefined && i.email.toLowerCase() === sender)
  // An identity bound to an account that is not configured still gets a job: its lastError says the account is missing.
  if (identity?.accountId !== undefined) return identity.accountId
  // The account's own address, or one of its identities (config accounts[].identities).
  const account = config.accounts.find((a) => a.email.toLowerCase() === sender || a.identities?.some((i) => i.email.toLowerCase() === sender) === true)
  return account?.id ?? null
}

/** The header section of a raw message (up to the first empty line), unfolded into one string per field. */
export function headerFields(raw: Buffer): string[] {
  const head = raw.subarray(0, Math.min(raw.length, 256 * 1024)).toString('latin1')
  const end = head.search(/\r?\n\r?\n/)
  const section = end === -1 ? head : head.slice(0, end)
  return section.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)
}

/** The message's Date header as a Date, or null when it is missing or cannot be read. */
export function messageDate(raw: Buffer): Date | null {
  const field = headerFields(raw).find((line) => /^date[ \t]*:/i.test(line))
  if (field === undefined) return null
  // Drop RFC 5322 comments such as "(UTC)", which Date.parse does not always accept.
  const value = field.slice(field.indexOf(':') + 1).replace(/\([^)]*\)/g, '').trim()
  const time = Date.parse(value)
  return Number.isNaN(time) ? null : new Date(time)
}
