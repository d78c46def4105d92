// Delivery reports in words: the headline of a bounce or delay notice, and what a recipient's status code means.
import type { DeliveryReport } from '@shared/contract'

type ReportRecipient = DeliveryReport['recipients'][number]

/** RFC 3463 status codes a person meets most, in words; others fall back to their class. */
const KNOWN: Record<string, string> = {
  '1.1': 'The mailbox does not exist',
  '1.2': 'The domain does not exist or does not take mail',
  '1.3': 'The address is not valid',
  '1.6': 'The mailbox has moved',
  '1.10': 'The domain does not accept mail',
  '2.1': 'The mailbox is disabled',
  '2.2': 'The mailbox is full',
  '2.3': 'The message is too large for the recipient',
  '3.4': 'The message is too large for the receiving server',
  '4.1': 'The receiving server did not answer',
  '4.2': 'The connection to the receiving server broke off',
  '4.4': 'No route to the receiving server was found',
  '4.7': 'Delivery was given up after trying for too long',
  '7.1': 'The receiving server refused the message (policy)',
  '7.26': 'The receiving server could not verify the sender',
  '7.509': 'The receiving server could not verify the sender'
}

/** What a recipient's status means, in a sentence: known detail codes first, then the class. */
export function statusInWords(recipient: Pick<ReportRecipient, 'status' | 'action'>): string {
  const match = /^([245])\.(\d{1,3}\.\d{1,3})$/.exec(recipient.status.trim())
  const detail = match === null ? undefined : KNOWN[match[2] as string]
  if (recipient.action === 'delayed') return detail === undefined ? 'Not delivered yet: still trying' : `Not delivered yet: ${detail.charAt(0).toLowerCase()}${detail.slice(1)}`
  if (recipient.action === 'delivered' || recipient.action === 'relayed' || recipient.action === 'expanded') return 'Delivered'
  if (detail !== undefined) return detail
  if (match?.[1] === '4') return 'A temporary problem that did not clear up in time'
  return 'The message could not be delivered'
}

export function failedRecipients(report: DeliveryReport): string[] {
  return report.recipients.filter((r) => r.action === 'failed').map((r) => r.address)
}

function quoted(subject: string): string {
  return `“${subject.trim() === '' ? '(no subject)' : subject}”`
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** How many recipients the original had: its To and Cc, plus any reported recipient not among them. */
function recipientTotal(report: DeliveryReport): number {
  const all = new Set([...report.original.to, ...report.original.cc, ...report.recipients.map((r) => r.address)].map((a) => a.toLowerCase()))
  return all.size
}

/** "Your message “Quarterly report” could not be delivered to 1 of 2 recipients", "… is delayed", … */
export function reportHeadline(report: DeliveryReport): string {
  const subject = quoted(report.original.subject)
  if (report.kind === 'failure') {
    const failed = failedRecipients(report).length
    const total = recipientTotal(report)
    if (failed === 1 && total === 1) return `Your message ${subject} could not be delivered to ${failedRecipients(report)[0] ?? ''}`
    if (failed === total) return `Your message ${subject} could not be delivered to any of its ${plural(total, 'recipient')}`
    return `Your message ${subject} could not be delivered to ${failed} of ${plural(total, 'recipient')}`
  }
  if (report.kind === 'delay') {
    const delayed = report.recipients.filter((r) => r.action === 'delayed').length
    return `Your message ${subject} is delayed: not delivered yet to ${plural(delayed, 'recipient')}, and delivery is still being tried`
  }
  return `Delivery report for your message ${subject}`
}
