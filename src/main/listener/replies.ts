// Every reply the listener makes itself: SMTP code, RFC 3463 enhanced code and a sentence, as errors smtp-server sends.
// smtp-server's own enhanced codes stay off (it would put its generic code in front of ours); ours lead the text instead.
import { AppError } from '../../shared/result'

export interface SmtpReply {
  code: number
  enhanced: string
  text: string
}

/** An Error smtp-server turns into the reply `code enhanced text`. */
export class SmtpReplyError extends Error {
  readonly responseCode: number
  constructor(readonly reply: SmtpReply) {
    super(`${reply.enhanced} ${reply.text}`)
    this.name = 'SmtpReplyError'
    this.responseCode = reply.code
  }
}

export const replyError = (code: number, enhanced: string, text: string): SmtpReplyError => new SmtpReplyError({ code, enhanced, text })

export const replies = {
  /** RFC 5321 §3.6.2: no relaying for clients that are not ours. Postfix says the same words. */
  relayDenied: (address: string) => replyError(554, '5.7.1', `<${address}>: Relay access denied (authenticate, or send from the user running Mailroom)`),
  unknownUser: (address: string, why: string, enhanced = '5.1.1') => replyError(550, enhanced, `<${address}>: Recipient address rejected: ${why}`),
  recipientTempFail: (address: string, why: string, enhanced = '4.3.0') => replyError(451, enhanced, `<${address}>: Recipient address check failed for now: ${why}`),
  badAddress: (address: string, why: string) => replyError(553, '5.1.3', `<${address}>: ${why}`),
  badSender: (address: string, why: string) => replyError(553, '5.1.7', `<${address}>: Sender address rejected: ${why}`),
  bareLineEnd: (kind: 'LF' | 'CR', line: number) =>
    replyError(554, '5.6.0', `Message refused: bare <${kind}> at line ${line}; SMTP requires CRLF line ends (RFC 5321 section 2.3.8)`),
  tooBig: (limit: number) => replyError(552, '5.3.4', `Message too big for this system (the limit is ${limit} bytes)`),
  queueFull: (why: string) => replyError(452, '4.3.1', `Insufficient system storage: ${why}`),
  spoolIo: (why: string) => replyError(451, '4.3.0', `Local error in processing, try again later: ${why}`),
  invalidMessage: (why: string) => replyError(554, '5.6.0', `Message refused: ${why}`),
  authFailed: () => replyError(535, '5.7.8', 'Authentication credentials invalid'),
  authRefusedHere: () => replyError(535, '5.7.8', 'Authentication is not configured on this listener (config listener.relay.users)'),
  internal: () => replyError(451, '4.3.0', 'Local error in processing, try again later')
} as const

/** 250 after the commit, with the queue id as Postfix words it. */
export const queuedText = (id: string): string => `2.0.0 Ok: queued as ${id}`

/** The reply for a refused submission: queue limits 452 4.3.1, spool I/O 451 4.3.0, a bad message 554 5.6.0. */
export function replyForSubmitError(error: unknown): SmtpReplyError {
  if (error instanceof SmtpReplyError) return error
  if (error instanceof AppError) {
    if (error.code === 'QUEUE_FULL') return replies.queueFull(error.message)
    if (error.code === 'SPOOL_IO') return replies.spoolIo(error.message)
    if (error.code === 'INVALID_MESSAGE') return replies.invalidMessage(error.message)
    if (error.code === 'INVALID_ADDRESS') return replyError(553, '5.1.3', error.message)
    if (error.temporary) return replies.spoolIo(error.message)
    return replyError(554, '5.3.0', error.message)
  }
  return replies.internal()
}
