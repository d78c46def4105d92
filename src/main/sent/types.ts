// The seam between the Sent-copy runner and IMAP: tests use a fake appender, the app uses imap-appender.ts.
import type { AccountConfig } from '../config/schema'

export interface AppendRequest {
  /** The message exactly as it was sent. */
  raw: Buffer
  messageId: string | null
  /** Internal date of the copy: the message's Date header, else when it was queued. */
  date: Date
  /** An earlier APPEND may have succeeded unseen: look for the Message-ID in the Sent mailbox first. */
  checkExisting: boolean
}

export interface AppendResult {
  /** appended: a new copy; present: a copy with this Message-ID was already there (nothing appended). */
  outcome: 'appended' | 'present'
  /** The mailbox used, for the log. */
  mailbox: string
}

/** One logged-in session to an account; failures are thrown as AppError (IMAP_AUTH, IMAP_CONNECT, IMAP_ERROR). */
export interface SentSession {
  append(request: AppendRequest): Promise<AppendResult>
  close(): Promise<void>
}

export interface SentAppender {
  open(account: AccountConfig): Promise<SentSession>
}
