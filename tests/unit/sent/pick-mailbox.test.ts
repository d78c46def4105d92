// Choosing the Sent mailbox from a LIST answer: the server's \Sent first, then a folder named Sent, else none.
import { describe, expect, it } from 'vitest'
import { pickSentMailbox } from '../../../src/main/sent/imap-appender'

const box = (path: string, specialUse?: string, specialUseSource?: 'user' | 'extension' | 'name', flags: string[] = []) =>
  ({ path, flags: new Set(flags), ...(specialUse ? { specialUse } : {}), ...(specialUseSource ? { specialUseSource } : {}) })

describe('the Sent mailbox of an account', () => {
  it('is the one the server marks \\Sent, even when another is called Sent', () => {
    expect(pickSentMailbox([box('INBOX'), box('Sent', '\\Sent', 'name'), box('Gesendet', '\\Sent', 'extension')])).toBe('Gesendet')
  })

  it('falls back to a folder named Sent (any case), then to a \\Sent guessed from a localised name', () => {
    expect(pickSentMailbox([box('INBOX'), box('SENT')])).toBe('SENT')
    expect(pickSentMailbox([box('INBOX'), box('Sent Items', '\\Sent', 'name')])).toBe('Sent Items')
  })

  it('is none (to be created) when nothing fits, and never a \\Noselect folder', () => {
    expect(pickSentMailbox([box('INBOX'), box('Drafts', '\\Drafts', 'extension')])).toBeNull()
    expect(pickSentMailbox([box('Sent', undefined, undefined, ['\\Noselect'])])).toBeNull()
  })
})
