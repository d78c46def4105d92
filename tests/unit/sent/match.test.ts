// Which finished messages get a Sent copy and in which account; the internal date taken from the Date header.
import { describe, expect, it } from 'vitest'
import { messageDate, sentAccountFor } from '../../../src/main/sent/match'
import { config, envelope, RAW } from './helpers'

describe('which messages get a Sent copy', () => {
  it('a message from the UI or the CLI whose sender is an account email, in any case', () => {
    expect(sentAccountFor(envelope(), config)).toBe('work')
    expect(sentAccountFor(envelope({ origin: 'cli', sender: 'ALICE@example.ORG' }), config)).toBe('work')
  })

  it('an identity bound to an account (accountId), even when that account is missing from the config', () => {
    expect(sentAccountFor(envelope({ sender: 'Al@Example.org' }), config)).toBe('work')
    expect(sentAccountFor(envelope({ sender: 'al@example.org' }), { accounts: [], identities: config.identities })).toBe('work')
  })

  it('never for notices (<>, origin local), listener mail, or a sender without an account', () => {
    expect(sentAccountFor(envelope({ sender: '', origin: 'local' }), config)).toBeNull()
    expect(sentAccountFor(envelope({ origin: 'local' }), config)).toBeNull()
    expect(sentAccountFor(envelope({ origin: 'listener' }), config)).toBeNull()
    expect(sentAccountFor(envelope({ sender: 'mallory@example.org' }), config)).toBeNull()
  })

  it('only when at least one recipient was sent (a message that failed for everyone was not sent)', () => {
    const failed = envelope().recipients.map((r) => ({ ...r, state: 'failed' as const }))
    expect(sentAccountFor(envelope({ recipients: failed }), config)).toBeNull()
    const mixed = [...failed, { ...failed[0]!, address: 'carol@example.net', state: 'sent' as const }]
    expect(sentAccountFor(envelope({ recipients: mixed }), config)).toBe('work')
  })
})

describe('internal date of the copy', () => {
  it('is the Date header (comments and folding allowed)', () => {
    expect(messageDate(RAW)?.toISOString()).toBe('2025-01-07T10:00:00.000Z')
    expect(messageDate(Buffer.from('Subject: x\r\nDate: Tue, 07 Jan 2025\r\n 12:30:00 +0100\r\n\r\nDate: not this\r\n'))?.toISOString()).toBe('2025-01-07T11:30:00.000Z')
  })

  it('is null when the header is missing, only in the body, or unreadable', () => {
    expect(messageDate(Buffer.from('Subject: x\r\n\r\nDate: Tue, 07 Jan 2025 10:00:00 +0000\r\n'))).toBeNull()
    expect(messageDate(Buffer.from('Date: yesterday-ish\r\n\r\n'))).toBeNull()
  })
})
