// Reply, reply-all and forward: subjects without doubled prefixes, "> " quoting with an attribution line, recipients, threading headers.
import type { MessageView } from '@shared/contract'
import { formatDateTime } from './format'
import { parseRecipients } from './recipients'

/** RFC 5322 allows any number; past this the middle of the chain is dropped (first and last kept). */
export const MAX_REFERENCES = 200

/** Reply prefixes in the languages mail clients commonly use, with optional counters ("Re[2]:"). */
const REPLY_PREFIX = /^\s*(?:(?:re|aw|sv|antw|vs|ref)(?:\[\d+\]|\(\d+\))?\s*:\s*)+/i
const FORWARD_PREFIX = /^\s*(?:(?:fwd?|wg|tr|enc|rv)\s*:\s*)+/i

export function replySubject(subject: string): string {
  return `Re: ${subject.replace(REPLY_PREFIX, '').trim()}`
}

export function forwardSubject(subject: string): string {
  return `Fwd: ${subject.replace(FORWARD_PREFIX, '').trim()}`
}

/** The bare address of "Name <addr>" (or of a bare address), lower-cased for comparisons. */
export function addressOf(display: string): string {
  return (parseRecipients(display)[0] ?? display).trim().toLowerCase()
}

/** The display name of "Name <addr>" ("Last, First" unquoted), else the address. */
export function nameOf(display: string): string {
  const match = /^\s*"?([^"<]*?)"?\s*<[^>]*>\s*$/.exec(display)
  const name = match?.[1]?.trim()
  return name ? name : display.replace(/[<>]/g, '').trim()
}

/** "On 25 Nov 2026, 09:00, Carol wrote:" (the date in the user's locale, like the reader shows it). */
export function attributionLine(message: Pick<MessageView, 'from' | 'date'>): string {
  const who = nameOf(message.from) || 'someone'
  return message.date === null ? `${who} wrote:` : `On ${formatDateTime(message.date)}, ${who} wrote:`
}

/** The text without its signature ("-- " line and after, RFC 3676 §4.3) and trailing blank lines. */
export function withoutSignature(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  const cut = lines.findIndex((line) => line === '-- ')
  return (cut === -1 ? lines : lines.slice(0, cut)).join('\n').replace(/\s+$/, '')
}

/** Every line prefixed with "> " (">" alone on empty lines, ">" without space before lines already quoted). */
export function quoteText(text: string): string {
  return withoutSignature(text)
    .split('\n')
    .map((line) => (line === '' ? '>' : line.startsWith('>') ? `>${line}` : `> ${line}`))
    .join('\n')
}

/** The References of a reply: the parent's References then its Message-ID, no repeats, at most MAX_REFERENCES. */
export function replyReferences(message: Pick<MessageView, 'messageId' | 'references' | 'inReplyTo'>): string[] {
  const chain = [...(message.references ?? [])]
  // A parent without References but with In-Reply-To: that id is the best known ancestor (RFC 5322 §3.6.4).
  if (chain.length === 0 && message.inReplyTo) chain.push(message.inReplyTo)
  if (message.messageId) chain.push(message.messageId)
  const unique = [...new Set(chain.map((id) => id.trim()).filter((id) => id !== ''))]
  if (unique.length <= MAX_REFERENCES) return unique
  return [unique[0] as string, ...unique.slice(unique.length - (MAX_REFERENCES - 1))]
}

export interface ReplyDraft {
  to: string
  cc: string
  subject: string
  body: string
  inReplyTo: string | null
  references: string[]
}

function dedupe(list: readonly string[], drop: ReadonlySet<string>): string[] {
  const seen = new Set(drop)
  const out: string[] = []
  for (const entry of list) {
    const address = addressOf(entry)
    if (address === '' || seen.has(address)) continue
    seen.add(address)
    out.push(entry.trim())
  }
  return out
}

/**
 * Reply (all = false) goes to Reply-To, else From. Reply all adds the original To and Cc as Cc, without the user's own
 * addresses and without repeats. A reply to one's own message goes to its original recipients.
 */
export function replyDraft(message: MessageView, ownAddresses: readonly string[], all: boolean): ReplyDraft {
  const own = new Set(ownAddresses.map((a) => a.trim().toLowerCase()).filter((a) => a !== ''))
  const fromMe = own.has(addressOf(message.from))
  const replyTargets = message.replyTo !== undefined && message.replyTo.length > 0 ? message.replyTo : [message.from]
  const primary = fromMe ? dedupe(message.to, own) : dedupe(replyTargets, own)
  const toSet = new Set(primary.map(addressOf))
  const cc = all ? dedupe([...(fromMe ? [] : message.to), ...message.cc], new Set([...own, ...toSet])) : []
  return {
    to: (primary.length > 0 ? primary : dedupe(replyTargets, new Set())).join(', '),
    cc: cc.join(', '),
    subject: replySubject(message.subject),
    body: `\n\n${attributionLine(message)}\n${quoteText(message.text)}\n`,
    inReplyTo: message.messageId ?? null,
    references: replyReferences(message)
  }
}

/** The block of original headers a forward starts with. */
export function forwardHeaders(message: MessageView): string {
  const lines = ['---------- Forwarded message ----------', `From: ${message.from}`, `Date: ${formatDateTime(message.date)}`, `Subject: ${message.subject}`]
  if (message.to.length > 0) lines.push(`To: ${message.to.join(', ')}`)
  if (message.cc.length > 0) lines.push(`Cc: ${message.cc.join(', ')}`)
  return lines.join('\n')
}

/** Forward: empty recipients, Fwd: subject, the original headers block and text (not quoted). */
export function forwardDraft(message: MessageView): ReplyDraft {
  return {
    to: '',
    cc: '',
    subject: forwardSubject(message.subject),
    body: `\n\n${forwardHeaders(message)}\n\n${message.text.replace(/\r\n?/g, '\n').replace(/\s+$/, '')}\n`,
    inReplyTo: null,
    // A forward starts a new conversation: no threading headers.
    references: []
  }
}
