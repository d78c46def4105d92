// The human part of a DSN: what happened to which recipient, in words, and what the sender can do about it.
import type { Envelope } from '../queue/envelope'
import { oneLine, rfc5322Date, replyLine, statusFor } from './dsn-fields'
import type { NoticeKind, NoticeRecipient } from './types'

export const NOTICE_SUBJECTS: Record<NoticeKind, string> = {
  failure: 'Undelivered Mail Returned to Sender',
  delay: 'Delayed Mail (still being retried)',
  deleted: 'Mail deleted from the outbox'
}

/** What the original part of the notice holds, so the text can say so. */
export type ReturnedContent =
  | { kind: 'headers' }
  | { kind: 'full' }
  | { kind: 'headers-instead-of-full'; size: number; limit: number }
  | { kind: 'headers-instead-of-long-lines' }
  | { kind: 'headers-truncated'; limit: number }

export interface HumanTextInput {
  kind: NoticeKind
  hostname: string
  envelope: Envelope
  recipients: NoticeRecipient[]
  now: number
  returned: ReturnedContent
}

/** Advice for a failed recipient, chosen by the RFC 3463 status (class.subject.detail). */
export function adviceFor(status: string): string {
  const [, subject = '0', detail = '0'] = status.split('.')
  const sd = `${subject}.${detail}`
  if (sd === '4.7') {
    return 'The recipient’s mail server could not be reached for the whole time Mailroom kept trying. ' +
      'Check the domain name after the @; if it is right, send the message again later, or reach the recipient another way.'
  }
  if (sd === '2.2') return 'The recipient’s mailbox is full. Send the message again later, or tell the recipient another way that their mailbox is full.'
  if (sd === '3.4' || sd === '2.3') {
    return 'The message is too large for the recipient’s server. Send it again without the large attachments (share the files by a link instead).'
  }
  if (sd === '1.10' || sd === '1.2' || sd === '4.4') {
    return 'The domain after the @ does not receive mail. Check it for typing mistakes; if it is right, reach the recipient another way and ask for a working address.'
  }
  if (subject === '1') {
    return 'Check the address for typing mistakes. If it is right, the mailbox may have been closed: reach the recipient another way (phone, another address) and ask for a working one.'
  }
  if (subject === '7') {
    return 'The recipient’s server refused the message for a policy reason (spam filtering or sender authentication). ' +
      'If you send directly from this computer, try sending through your provider’s server (a smart host route); otherwise forward this notice to the recipient’s postmaster.'
  }
  if (subject === '4') return 'There was a network or routing problem on the way to the recipient’s server. Send the message again later, or reach the recipient another way.'
  return 'Check the address; if it is right, send the message again later, or reach the recipient another way.'
}

/** One paragraph per recipient: the address, the server's words, the code, and (for failures) what to do. */
function recipientParagraph(input: HumanTextInput, r: NoticeRecipient): string {
  const status = statusFor(input.kind, r.reply)
  const lines = [`<${oneLine(r.address, 512)}>${r.original !== '' && r.original !== r.address ? ` (originally <${oneLine(r.original, 512)}>)` : ''}`]
  if (r.reply === null) {
    lines.push(input.kind === 'deleted' ? '    Not attempted yet when the message was deleted.' : '    No delivery attempt has been made yet.')
  } else {
    const said = oneLine(r.reply.human ?? r.reply.text)
    if (said !== '') lines.push(`    What happened: ${said}`)
    if (r.reply.text.trim() !== '' && r.reply.code !== undefined) {
      lines.push(`    The server said: ${replyLine(r.reply)}${r.reply.host !== undefined ? ` (${oneLine(r.reply.host, 255)})` : ''}`)
    }
  }
  lines.push(`    Status: ${status}, after ${r.attempts} ${r.attempts === 1 ? 'attempt' : 'attempts'}`)
  if (input.kind === 'failure') lines.push(`    What you can do: ${adviceFor(status)}`)
  if (input.kind === 'delay' && r.willRetryUntil !== undefined) lines.push(`    Mailroom will keep trying until ${rfc5322Date(r.willRetryUntil)}.`)
  return lines.join('\n')
}

function introduction(input: HumanTextInput): string[] {
  const count = input.recipients.length
  const them = count === 1 ? 'the recipient below' : `the ${count} recipients below`
  if (input.kind === 'failure') {
    return [`Your message could not be delivered to ${them}. Mailroom has stopped trying; nobody listed here received it.`]
  }
  if (input.kind === 'delay') {
    const until = input.recipients.map((r) => r.willRetryUntil).filter((t): t is number => t !== undefined)
    const giveUp = until.length === 0 ? '' : ` It gives up on ${rfc5322Date(Math.max(...until))}, and you will get another notice if that happens.`
    return [
      `Your message has not been delivered to ${them} yet. This is only a warning: you do not need to send it again.` +
        ` Mailroom keeps trying automatically.${giveUp}`,
      'If the message is urgent, reach the recipient another way in the meantime.'
    ]
  }
  return [
    `Your message was deleted from the outbox before it reached ${them}, so they will not receive it.`,
    'If they should still get it, send it again.'
  ]
}

function returnedNote(returned: ReturnedContent): string {
  switch (returned.kind) {
    case 'full': return 'Your original message is attached below.'
    case 'headers': return 'The headers of your original message are attached below.'
    case 'headers-instead-of-full':
      return `Your original message (${kib(returned.size)}) is larger than the ${kib(returned.limit)} a notice may carry, so only its headers are attached below.`
    case 'headers-instead-of-long-lines':
      return 'Your original message has lines longer than mail allows (998 characters), so only its headers are attached below.'
    case 'headers-truncated': return `The headers of your original message are attached below, cut after the first ${kib(returned.limit)}.`
  }
}

function kib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`
}

/** The whole human part (LF line ends; the caller encodes it). */
export function humanText(input: HumanTextInput): string {
  const env = input.envelope
  const paragraphs = [
    `This is the mail system at host ${oneLine(input.hostname, 255)}.`,
    ...introduction(input),
    [
      `Subject: ${oneLine(env.subject, 500) === '' ? '(no subject)' : oneLine(env.subject, 500)}`,
      `Queued:  ${rfc5322Date(env.createdAt)}`,
      ...(env.messageId !== null ? [`Message-ID: ${oneLine(env.messageId, 500)}`] : []),
      `Queue ID: ${env.id}`
    ].join('\n'),
    ...input.recipients.map((r) => recipientParagraph(input, r)),
    returnedNote(input.returned)
  ]
  return paragraphs.join('\n\n') + '\n'
}
