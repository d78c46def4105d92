// Builds the out-of-office reply (RFC 3834 §3): to the envelope sender, Auto-Submitted: auto-replied, In-Reply-To and
// References of the original, subject from the rule ("Auto: %s" by default), UTF-8 text; then sendmail's checks.
import MailComposer from 'nodemailer/lib/mail-composer'
import { newMessageId, prepareMessage, type PreparedMessage } from '../submission/prepare'
import { decodedSubject, firstHeader, type MessageHeaders } from './message-headers'

export interface ReplyInput {
  /** Headers of the message being answered. */
  original: MessageHeaders
  /** Where the reply goes: the original's envelope sender (its Return-Path), RFC 3834 §4. */
  to: string
  /** "Name <addr>" or addr. */
  from: string
  /** The rule's subject; every %s becomes the original subject. */
  subject: string
  body: string
  hostname: string
  now: number
}

const MESSAGE_ID = /<[^<>\s]+>/g

/** The reply's subject: the rule's template with %s replaced (RFC 3834 §3.1.5 suggests "Auto: " + original). */
export function replySubject(template: string, originalSubject: string): string {
  return template.replaceAll('%s', originalSubject.replace(/[\r\n]+/g, ' ')).trim()
}

/** References of a reply (RFC 5322 §3.6.4): the original's References (or In-Reply-To), then its Message-ID. */
export function replyReferences(original: MessageHeaders): { inReplyTo?: string; references: string[] } {
  const messageId = (firstHeader(original, 'Message-ID') ?? '').match(MESSAGE_ID)?.[0]
  const earlier = (firstHeader(original, 'References') ?? firstHeader(original, 'In-Reply-To') ?? '').match(MESSAGE_ID) ?? []
  const references = [...earlier, ...(messageId !== undefined ? [messageId] : [])]
  return messageId !== undefined ? { inReplyTo: messageId, references } : { references }
}

/** The raw reply, checked like any submission, with the null envelope sender <>. */
export async function composeReply(input: ReplyInput): Promise<PreparedMessage> {
  const subject = replySubject(input.subject, decodedSubject(input.original))
  const { inReplyTo, references } = replyReferences(input.original)
  const composer = new MailComposer({
    from: input.from,
    to: input.to,
    subject,
    text: input.body,
    messageId: newMessageId(input.hostname, input.now),
    date: new Date(input.now),
    textEncoding: 'quoted-printable',
    ...(inReplyTo !== undefined ? { inReplyTo } : {}),
    ...(references.length > 0 ? { references } : {}),
    headers: {
      'Auto-Submitted': 'auto-replied',
      // Exchange/Outlook: do not answer this with their own auto-replies.
      'X-Auto-Response-Suppress': 'All',
      'User-Agent': 'Mailroom vacation'
    }
  })
  const raw = await composer.compile().build()
  return prepareMessage(raw, { hostname: input.hostname, sender: '', recipients: [input.to], extractRecipients: false, ignoreDots: true, now: input.now })
}
