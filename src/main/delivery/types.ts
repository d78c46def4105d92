// The contract between the queue and delivery: what the queue hands over and the per-recipient outcome it records.
import type { SmtpReplyInfo } from '../../shared/contract'

export interface DeliveryRequest {
  /** Queue id, for logs. */
  queueId: string
  /** Envelope sender (MAIL FROM); '' is the null sender <>. */
  sender: string
  /** The recipients due now (others of the same message are not included). */
  recipients: string[]
  /** The raw RFC 5322 message with CRLF line ends, as stored in the spool. */
  data: Buffer
  /** When the message entered the queue (for delay= in the maillog). */
  queuedAt: number
}

export type OutcomeStatus = 'sent' | 'deferred' | 'failed'

export interface RecipientOutcome {
  recipient: string
  status: OutcomeStatus
  /** The reply that decided it: SMTP reply, or a DNS/socket/TLS error turned into one by the classifier. */
  reply: SmtpReplyInfo
  /** True when the failure was "could not reach anything" (DNS or connect), used for offline detection. */
  unreachable?: boolean
}

export interface Deliverer {
  /** Delivers one message to the given recipients; never throws for delivery problems, only returns outcomes. */
  deliver(request: DeliveryRequest): Promise<RecipientOutcome[]>
  close(): Promise<void>
}
