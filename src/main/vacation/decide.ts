// Whether an out-of-office reply goes out for one message: every RFC 3834 / RFC 5230 guard as its own named reason. Pure.
import { checkAddress } from '../../shared/address'
import { addressesIn, firstHeader, headerValues, type MessageHeaders } from './message-headers'

const DAY_MS = 24 * 60 * 60 * 1000

export type DecisionReason =
  | 'reply'
  /** the rule is switched off */
  | 'disabled'
  /** before the rule's start / after its end */
  | 'before-start'
  | 'after-end'
  /** the envelope sender is <> (RFC 3834 §2, RFC 5230 §4.6: bounces and other notifications) */
  | 'null-sender'
  /** the envelope sender is not an address a reply could go to */
  | 'invalid-sender'
  /** MAILER-DAEMON (RFC 5230 §4.6) */
  | 'mailer-daemon'
  /** owner-*, *-request, LISTSERV, majordomo: list software (RFC 5230 §4.6, RFC 3834 §2) */
  | 'list-sender'
  /** List-Id (RFC 2919) or List-Help/-Subscribe/-Unsubscribe/-Post/-Owner/-Archive (RFC 2369) (RFC 5230 §4.6) */
  | 'list-header'
  /** Precedence: bulk, list or junk (RFC 3834 §2) */
  | 'precedence'
  /** Auto-Submitted with any value but "no" (RFC 3834 §2, §5) */
  | 'auto-submitted'
  /** the sender is one of the user's own addresses (RFC 5230 §4.5) */
  | 'own-address'
  /** none of the user's addresses is in To/Cc/Bcc (or Resent-*): not a direct recipient (RFC 5230 §4.5) */
  | 'not-a-recipient'
  /** this sender got a reply less than :days ago (RFC 5230 §4.1) */
  | 'already-replied'

export interface Decision {
  reply: boolean
  reason: DecisionReason
  /** Human words for the maillog. */
  detail: string
  /** The sender as the reply database keys it (lower-cased envelope sender). */
  senderKey: string
  /** The user's address the message was sent to (the reply's default From). */
  matchedAddress?: string
}

/** What decide needs of a rule (the stored rule plus the user's resolved addresses). */
export interface DecisionRule {
  enabled: boolean
  days: number
  startsAt: number | null
  endsAt: number | null
  /** All the user's addresses (lower case is not required). */
  addresses: readonly string[]
}

/** What decide needs of the reply database. */
export interface ReplyHistory {
  /** When this (lower-cased) sender last got a reply, ms since the epoch. */
  lastReplyAt(senderKey: string): number | undefined
}

export const LIST_HEADERS = ['List-Id', 'List-Help', 'List-Subscribe', 'List-Unsubscribe', 'List-Post', 'List-Owner', 'List-Archive'] as const
const RECIPIENT_HEADERS = ['To', 'Cc', 'Bcc', 'Resent-To', 'Resent-Cc', 'Resent-Bcc'] as const
const BULK_PRECEDENCE = new Set(['bulk', 'list', 'junk'])

/** The local part of a listserver-ish address (RFC 5230 §4.6), or null. */
function listSenderKind(localPart: string): string | null {
  const lower = localPart.toLowerCase()
  if (lower.startsWith('owner-')) return 'owner-*'
  if (lower.endsWith('-request')) return '*-request'
  if (lower === 'listserv' || lower === 'majordomo') return lower
  return null
}

export function shouldReply(headers: MessageHeaders, envelopeSender: string, rule: DecisionRule, now: number, db: ReplyHistory): Decision {
  const sender = envelopeSender.trim().replace(/^<(.*)>$/, '$1').trim()
  const senderKey = sender.toLowerCase()
  const no = (reason: DecisionReason, detail: string): Decision => ({ reply: false, reason, detail, senderKey })

  if (!rule.enabled) return no('disabled', 'the out-of-office rule is switched off')
  if (rule.startsAt !== null && now < rule.startsAt) return no('before-start', `the rule starts at ${new Date(rule.startsAt).toISOString()}`)
  if (rule.endsAt !== null && now > rule.endsAt) return no('after-end', `the rule ended at ${new Date(rule.endsAt).toISOString()}`)

  if (sender === '') return no('null-sender', 'the envelope sender is <> (a bounce or notification)')
  if (sender.includes('@') && !checkAddress(sender).ok) return no('invalid-sender', `the envelope sender "${sender}" is not a valid address`)
  const at = sender.lastIndexOf('@')
  const localPart = at < 0 ? sender : sender.slice(0, at)
  if (localPart.toLowerCase() === 'mailer-daemon') return no('mailer-daemon', `the sender ${sender} is a mailer daemon`)
  const listKind = listSenderKind(localPart)
  if (listKind !== null) return no('list-sender', `the sender ${sender} is list software (${listKind})`)

  const listHeader = LIST_HEADERS.find((name) => headerValues(headers, name).length > 0)
  if (listHeader !== undefined) return no('list-header', `the message came through a mailing list (${listHeader})`)
  const precedence = firstHeader(headers, 'Precedence')?.toLowerCase()
  if (precedence !== undefined && BULK_PRECEDENCE.has(precedence)) return no('precedence', `the message has Precedence: ${precedence}`)
  const autoSubmitted = headerValues(headers, 'Auto-Submitted').map((v) => v.split(';')[0]?.trim().toLowerCase() ?? '')
  const automatic = autoSubmitted.find((v) => v !== 'no')
  if (automatic !== undefined) return no('auto-submitted', `the message has Auto-Submitted: ${automatic}`)

  const own = new Set(rule.addresses.map((a) => a.toLowerCase()))
  const fromAddresses = addressesIn(headers, ['From'])
  if (own.has(senderKey)) return no('own-address', `the sender ${sender} is one of the user's own addresses`)
  const ownFrom = fromAddresses.find((a) => own.has(a))
  if (ownFrom !== undefined) return no('own-address', `the From ${ownFrom} is one of the user's own addresses`)

  const matchedAddress = addressesIn(headers, RECIPIENT_HEADERS).find((a) => own.has(a))
  if (matchedAddress === undefined) return no('not-a-recipient', 'none of the user\'s addresses is in To or Cc')

  const last = db.lastReplyAt(senderKey)
  const period = rule.days * DAY_MS
  if (last !== undefined && now - last < period) {
    return { ...no('already-replied', `${sender} got a reply at ${new Date(last).toISOString()}, less than ${rule.days} day(s) ago`), matchedAddress }
  }
  return { reply: true, reason: 'reply', detail: `reply to ${sender}`, senderKey, matchedAddress }
}
