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
  /** RFC 3461 parameters from the envelope (NOTIFY, RET, ENVID), passed on when the next hop offers DSN. */
  dsn?: DeliveryDsn
  /** Recipient → the address as first submitted (RFC 3461 ORCPT), passed on when the next hop offers DSN. */
  originals?: Record<string, string>
}

/** The envelope's DSN options (src/main/queue/envelope.ts dsnOptions), as delivery needs them. */
export interface DeliveryDsn {
  notify?: Array<'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY'>
  ret?: 'FULL' | 'HDRS'
  envid?: string
}

export type OutcomeStatus = 'sent' | 'deferred' | 'failed'

export interface RecipientOutcome {
  recipient: string
  status: OutcomeStatus
  /**
   * The reply that decided it: SMTP reply, or a DNS/socket/TLS error turned into one by the classifier.
   * reply.host is the maillog's relay= in Postfix form, `mx.example[192.0.2.1]:25`; unset when no server was reached
   * (DNS failures, nothing answering): the maillog then says relay=none.
   */
  reply: SmtpReplyInfo
  /** True when the failure was "could not reach anything" (DNS or connect), used for offline detection. */
  unreachable?: boolean
  /**
   * Where the attempt's time went, for the maillog's delays=a/b/c/d (c = setupMs, d = transmitMs):
   * setupMs from the start of the attempt to a session ready for MAIL FROM (DNS, connects, greeting, EHLO, TLS),
   * transmitMs from MAIL FROM to the final reply. Absent when no session was opened.
   */
  timing?: { setupMs: number; transmitMs: number }
}

export interface Deliverer {
  /** Delivers one message to the given recipients; never throws for delivery problems, only returns outcomes. */
  deliver(request: DeliveryRequest): Promise<RecipientOutcome[]>
  close(): Promise<void>
}
