// The contract between the queue and delivery status notifications (RFC 3464 bounces and delay warnings).
import type { SmtpReplyInfo } from '../../shared/contract'
import type { Envelope } from '../queue/envelope'

/** failure: the recipient will never get it; delay: still trying; deleted: the user removed the message from the queue. */
export type NoticeKind = 'failure' | 'delay' | 'deleted'

export interface NoticeRecipient {
  /** The address delivery was attempted to. */
  address: string
  /** The recipient as first submitted (ORCPT). */
  original: string
  /** The reply that decided it (the last one for a delay), or null when never attempted. */
  reply: SmtpReplyInfo | null
  attempts: number
  /** When the queue will give up (delay notices), ms. */
  willRetryUntil?: number
}

export interface NoticeRequest {
  kind: NoticeKind
  /** The message the notice is about, as it is in the spool. */
  envelope: Envelope
  /** The recipients the notice reports (failed ones for failure/deleted, waiting ones for delay). */
  recipients: NoticeRecipient[]
  /** The original message (for RET=FULL, or its headers). */
  data: Buffer
  now: number
}

/**
 * What happened to a notice: delivered into the local sender's mailbox, queued to a remote sender from <>,
 * or suppressed (null sender, NOTIFY=NEVER, or the kind not asked for by NOTIFY).
 */
export type NoticeResult = { status: 'local'; path: string } | { status: 'queued'; id: string } | { status: 'suppressed'; reason: string }

export interface Notifier {
  /**
   * Sends one notice durably (resolves only once it is in the Maildir or committed to the spool).
   * Never called for a message from <>: the queue freezes those instead (loop prevention).
   */
  send(request: NoticeRequest): Promise<NoticeResult>
}
