// Outbox wording: a server reply in words (the classifier's sentence, else the server's text) with its codes and host.
import type { OutboxMessage, SmtpReplyInfo } from '@shared/contract'

export type OutboxRecipient = OutboxMessage['recipients'][number]

/** "The server asked us to try again later. — 451 4.7.1, mx.remote.test"; the codes are not repeated when the text starts with them. */
export function replyInWords(reply: SmtpReplyInfo | null): string | null {
  if (reply === null) return null
  const words = (reply.human ?? reply.text).trim()
  const codes = [reply.code, reply.enhanced].filter((c) => c !== undefined && c !== '').join(' ')
  const details: string[] = []
  if (codes !== '' && !(reply.human === undefined && words.startsWith(codes))) details.push(codes)
  if (reply.host) details.push(reply.host)
  return details.length === 0 ? words : `${words} — ${details.join(', ')}`
}

/** A recipient still waiting for a retry at a known time. */
export function waitsForRetry(r: OutboxRecipient): boolean {
  return (r.state === 'pending' || r.state === 'deferred') && r.nextAttemptAt !== null
}

/** Addresses offered for editing: everyone not delivered yet (delivered ones stay as they are). */
export function editableRecipients(message: OutboxMessage): string[] {
  return message.recipients.filter((r) => r.state !== 'sent').map((r) => r.address)
}

/** A message with a not-before time (send later or an undo window) that has not been tried yet; held ones too. */
export function waitsForSendTime(message: OutboxMessage): message is OutboxMessage & { notBefore: number } {
  return (message.state === 'queued' || message.state === 'hold') && typeof message.notBefore === 'number' && message.recipients.every((r) => r.attempts === 0)
}
