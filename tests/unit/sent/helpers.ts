// Test helpers for Sent copies: a config with one account, a scripted fake appender, an envelope builder.
import type { AccountConfig } from '../../../src/main/config/schema'
import type { Envelope } from '../../../src/main/queue/envelope'
import type { AppendRequest, AppendResult, SentAppender, SentSession } from '../../../src/main/sent/types'
import { AppError } from '../../../src/shared/result'
import { T0 } from '../queue/helpers'

export const account: AccountConfig = {
  id: 'work', email: 'Alice@Example.org', imap: { host: '127.0.0.1', port: 1143, security: 'none', user: 'alice', password: 'secret' }
}
export const config = { accounts: [account], identities: [{ email: 'al@example.org', route: 'default', accountId: 'work' }] }

export const RAW = Buffer.from('Date: Tue, 07 Jan 2025 10:00:00 +0000 (UTC)\r\nFrom: alice@example.org\r\nTo: bob@example.net\r\nSubject: Hello\r\nMessage-ID: <1@example.org>\r\n\r\nHi Bob\r\n')

export function envelope(overrides: Partial<Envelope> = {}): Envelope {
  return {
    version: 1, id: '0000000001AA00000000', createdAt: T0, origin: 'ui', sender: 'alice@example.org', size: RAW.length,
    messageId: '<1@example.org>', subject: 'Hello', notBefore: null, seq: 1, hold: null, frozenMs: 0, warnedAt: null,
    recipients: [{ address: 'bob@example.net', original: 'bob@example.net', state: 'sent', attempts: 1, lastReply: null, nextAttemptAt: null, warned: false }],
    ...overrides
  }
}

export type Step = 'ok' | 'present' | Error

/** An appender whose open() and append() follow scripts (default: everything works); it records every call. */
export function fakeAppender(): SentAppender & { opens: string[]; appends: AppendRequest[]; openScript: (Error | null)[]; appendScript: Step[]; closes: number } {
  const fake = {
    opens: [] as string[],
    appends: [] as AppendRequest[],
    openScript: [] as (Error | null)[],
    appendScript: [] as Step[],
    closes: 0,
    async open(a: AccountConfig): Promise<SentSession> {
      fake.opens.push(a.id)
      const failure = fake.openScript.shift()
      if (failure) throw failure
      return {
        async append(request: AppendRequest): Promise<AppendResult> {
          fake.appends.push(request)
          const step = fake.appendScript.shift() ?? 'ok'
          if (step instanceof Error) throw step
          return { outcome: step === 'present' ? 'present' : 'appended', mailbox: 'Sent' }
        },
        async close() {
          fake.closes += 1
        }
      }
    }
  }
  return fake
}

export const authError = (): AppError => new AppError('IMAP_AUTH', 'The server 127.0.0.1:1143 refused the login for alice: check the user name and password (Authentication failed.)')
export const lostConnection = (): AppError => new AppError('IMAP_CONNECT', 'The mail server 127.0.0.1:1143 could not be reached (NoConnection): Connection not available')
