// The Bcc field of a Sent copy: recipients no To/Cc header names, written in front of the message.
import { describe, expect, it } from 'vitest'
import { blindRecipients, withBcc } from '../../../src/main/sent/bcc'
import { envelope, RAW } from './helpers'

const rcpt = (address: string, original = address) => ({ address, original, state: 'sent' as const, attempts: 1, lastReply: null, nextAttemptAt: null, warned: false })

describe('blind copies in the Sent copy', () => {
  it('are the envelope recipients that To and Cc do not name (case-insensitive, groups and names understood)', () => {
    const raw = Buffer.from('To: "Bob, B." <BOB@example.net>\r\nCc: team: dan@example.net, eve@example.net;\r\nSubject: x\r\n\r\nTo: carol@example.net\r\n')
    const env = envelope({ recipients: [rcpt('bob@example.net'), rcpt('dan@example.net'), rcpt('carol@example.net'), rcpt('frank@local.test', 'Frank@Example.org')] })
    expect(blindRecipients(env, raw)).toEqual(['carol@example.net', 'Frank@Example.org'])
  })

  it('are none when every recipient is in the headers', () => {
    expect(blindRecipients(envelope(), RAW)).toEqual([])
    expect(withBcc(RAW, [])).toBe(RAW)
  })

  it('go into one folded Bcc field in front of the unchanged message', () => {
    const copy = withBcc(RAW, ['carol@example.net', 'dave@example.net'])
    expect(copy.toString()).toBe(`Bcc: carol@example.net,\r\n dave@example.net\r\n${RAW.toString()}`)
  })
})
