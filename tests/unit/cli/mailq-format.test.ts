// mailq's human output: Postfix's columns, "!" for hold, Exim's frozen line, per-recipient state and reply, send-later, totals.
import { describe, expect, it } from 'vitest'
import { formatMailq, formatMailqEntry } from '../../../src/main/cli/mailq-format'
import type { OutboxMessage } from '../../../src/shared/contract'

const T = new Date(2026, 10, 25, 15, 38, 4).getTime()

function message(over: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    id: '0KJ3M5N6P7Q8R9S0T1V2', createdAt: T, origin: 'cli', sender: 'alice@mailroom.test', subject: 's', size: 2048, state: 'queued',
    messageId: '<x@y>', notBefore: null, hold: null,
    recipients: [{ address: 'bob@remote.test', original: 'bob@remote.test', state: 'pending', attempts: 0, lastReply: null, nextAttemptAt: null }],
    ...over
  }
}

describe('formatMailq', () => {
  it('says the queue is empty like Postfix', () => {
    expect(formatMailq([])).toBe('Mail queue is empty\n')
    expect(formatMailq([message({ state: 'sent' })])).toBe('Mail queue is empty\n')
  })

  it('prints the header, one block per message in Postfix columns, and the total line', () => {
    const out = formatMailq([message(), message({ id: '0KJ3M5N6P7Q8R9S0T1V3', size: 3000 })], T)
    const lines = out.split('\n')
    expect(lines[0]).toBe('-Queue ID-            --Size-- ---Arrival Time---- --Sender/Recipient------')
    expect(lines[1]).toBe('0KJ3M5N6P7Q8R9S0T1V2      2048 Wed Nov 25 15:38:04 alice@mailroom.test')
    // A recipient never tried has no reason line (Postfix prints none either).
    expect(lines[2]).toBe(`${' '.repeat(51)}bob@remote.test`)
    expect(lines[3]).toBe('')
    expect(out.endsWith('\n-- 4 Kbytes in 2 Requests.\n')).toBe(true)
  })

  it('marks held messages with ! and frozen ones also with *** frozen ***, with who and why', () => {
    const heldRecipient = { address: 'bob@remote.test', state: 'held' as const, attempts: 0, lastReply: null, nextAttemptAt: null }
    const held = formatMailqEntry(message({ state: 'hold', hold: { kind: 'hold', by: 'user', reason: 'held by the user', at: T }, recipients: [heldRecipient] }), T)
    expect(held.split('\n')[0]).toMatch(/^0KJ3M5N6P7Q8R9S0T1V2! +2048 /)
    expect(held).not.toContain('frozen')
    // One reason line for the message; its held recipients do not repeat it.
    const reasons = held.split('\n').filter((l) => l.includes('('))
    expect(reasons.map((l) => l.trim())).toEqual(['(held by user since Wed Nov 25 15:38:04)'])
    expect(reasons[0]).toHaveLength(78)
    const frozen = formatMailqEntry(message({ sender: '', state: 'hold', hold: { kind: 'freeze', by: 'system', reason: 'bounce could not be delivered', at: T } }), T)
    expect(frozen.split('\n')[0]).toMatch(/^0KJ3M5N6P7Q8R9S0T1V2! .* MAILER-DAEMON$/)
    expect(frozen.split('\n')[1]).toBe(`${' '.repeat(51)}*** frozen ***`)
    expect(frozen).toContain('(frozen by system since Wed Nov 25 15:38:04: bounce could not be delivered)')
  })

  it('shows each waiting recipient with its state and last reply, the reply only when it changes, and leaves out finished ones', () => {
    const reply = { code: 450, enhanced: '4.2.0', text: '450 4.2.0 try again later', host: 'mx.remote.test' }
    const out = formatMailqEntry(message({
      state: 'deferred',
      recipients: [
        { address: 'a@remote.test', state: 'deferred', attempts: 2, lastReply: reply, nextAttemptAt: T + 60_000 },
        { address: 'b@remote.test', state: 'deferred', attempts: 2, lastReply: reply, nextAttemptAt: T + 60_000 },
        { address: 'c@remote.test', state: 'sent', attempts: 1, lastReply: null, nextAttemptAt: null },
        { address: 'd@remote.test', state: 'held', attempts: 0, lastReply: null, nextAttemptAt: null }
      ]
    }), T)
    const reasons = out.split('\n').filter((l) => l.trim().startsWith('('))
    for (const line of reasons) expect(line.length === 78 || line.startsWith('(')).toBe(true)
    expect(reasons.map((l) => l.trim())).toEqual([
      '(deferred after 2 attempts, next attempt Wed Nov 25 15:39:04: 450 4.2.0 try again later)',
      '(held)'
    ])
    expect(out).toContain('a@remote.test')
    expect(out).toContain('b@remote.test')
    expect(out).not.toContain('c@remote.test')
  })

  it('shows a send-later time while it is in the future', () => {
    const later = message({ notBefore: T + 3_600_000 })
    expect(formatMailqEntry(later, T)).toContain('(send later: not before Wed Nov 25 16:38:04)')
    expect(formatMailqEntry(later, T + 3_600_001)).not.toContain('send later')
  })
})
