// The out-of-office decision: one row per RFC 3834 / RFC 5230 rule, each naming the reason the maillog shows.
import { describe, expect, it } from 'vitest'
import { shouldReply, type DecisionReason, type DecisionRule, type ReplyHistory } from '../../../src/main/vacation/decide'
import { readHeaders } from '../../../src/main/vacation/message-headers'

const DAY = 24 * 60 * 60 * 1000
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0)

const rule: DecisionRule = {
  enabled: true, days: 7, startsAt: null, endsAt: null,
  addresses: ['alice@mailroom.test', 'Alice.Work@Example.ORG']
}

function message(extra: string[] = [], to = 'To: Alice <alice@mailroom.test>'): string {
  return ['From: Bob <bob@remote.test>', to, 'Subject: Lunch?', 'Message-ID: <m1@remote.test>', ...extra, '', 'Hi'].join('\r\n')
}

const noHistory: ReplyHistory = { lastReplyAt: () => undefined }
const repliedAt = (at: number): ReplyHistory => ({ lastReplyAt: (key) => (key === 'bob@remote.test' ? at : undefined) })

interface Row {
  name: string
  raw?: string
  sender?: string
  rule?: Partial<DecisionRule>
  db?: ReplyHistory
  now?: number
  reason: DecisionReason
}

const rows: Row[] = [
  { name: 'an ordinary message to the user gets a reply', reason: 'reply' },
  { name: 'a switched-off rule sends nothing', rule: { enabled: false }, reason: 'disabled' },
  { name: 'null sender <> (a bounce): RFC 3834 §2', sender: '', reason: 'null-sender' },
  { name: 'null sender written as "<>"', sender: '<>', reason: 'null-sender' },
  { name: 'a sender no reply could reach', sender: 'bob smith@remote.test', reason: 'invalid-sender' },
  { name: 'MAILER-DAEMON: RFC 5230 §4.6', sender: 'MAILER-DAEMON@remote.test', reason: 'mailer-daemon' },
  { name: 'mailer-daemon in lower case', sender: 'mailer-daemon@remote.test', reason: 'mailer-daemon' },
  { name: '*-request sender: RFC 5230 §4.6', sender: 'golf-request@lists.test', reason: 'list-sender' },
  { name: 'owner-* sender: RFC 5230 §4.6', sender: 'owner-golf@lists.test', reason: 'list-sender' },
  { name: 'LISTSERV sender', sender: 'LISTSERV@lists.test', reason: 'list-sender' },
  { name: 'List-Id: RFC 2919 / RFC 5230 §4.6', raw: message(['List-Id: Golf <golf.lists.test>']), reason: 'list-header' },
  { name: 'List-Unsubscribe: RFC 2369', raw: message(['List-Unsubscribe: <mailto:golf-leave@lists.test>']), reason: 'list-header' },
  { name: 'List-Post: RFC 2369', raw: message(['List-Post: <mailto:golf@lists.test>']), reason: 'list-header' },
  { name: 'list-help in lower case', raw: message(['list-help: <mailto:golf-help@lists.test>']), reason: 'list-header' },
  { name: 'Precedence: bulk — RFC 3834 §2', raw: message(['Precedence: bulk']), reason: 'precedence' },
  { name: 'Precedence: list', raw: message(['Precedence: list']), reason: 'precedence' },
  { name: 'Precedence: junk', raw: message(['Precedence: Junk']), reason: 'precedence' },
  { name: 'Precedence: first-class is answered', raw: message(['Precedence: first-class']), reason: 'reply' },
  { name: 'Auto-Submitted: auto-replied — RFC 3834 §5', raw: message(['Auto-Submitted: auto-replied']), reason: 'auto-submitted' },
  { name: 'Auto-Submitted: auto-generated', raw: message(['Auto-Submitted: auto-generated']), reason: 'auto-submitted' },
  { name: 'Auto-Submitted with a parameter', raw: message(['Auto-Submitted: auto-notified; owner-email="x@y.test"']), reason: 'auto-submitted' },
  { name: 'Auto-Submitted: no is answered', raw: message(['Auto-Submitted: no']), reason: 'reply' },
  { name: 'the user\'s own address as envelope sender — RFC 5230 §4.5', sender: 'alice@mailroom.test', reason: 'own-address' },
  { name: 'own address in another case', sender: 'alice.work@example.org', reason: 'own-address' },
  { name: 'own address in From', raw: message().replace('From: Bob <bob@remote.test>', 'From: alice@mailroom.test'), reason: 'own-address' },
  { name: 'user not in To/Cc (a Bcc or list copy) — RFC 5230 §4.5', raw: message([], 'To: carol@remote.test'), reason: 'not-a-recipient' },
  { name: 'user in Cc is a direct recipient', raw: message(['Cc: "Alice W." <alice.work@example.org>'], 'To: carol@remote.test'), reason: 'reply' },
  { name: 'user in a group of To', raw: message([], 'To: team: carol@remote.test, alice@mailroom.test;'), reason: 'reply' },
  { name: 'user in Resent-To', raw: message(['Resent-To: alice@mailroom.test'], 'To: carol@remote.test'), reason: 'reply' },
  { name: 'before the start date', rule: { startsAt: NOW + DAY }, reason: 'before-start' },
  { name: 'after the end date', rule: { endsAt: NOW - DAY }, reason: 'after-end' },
  { name: 'inside the dates', rule: { startsAt: NOW - DAY, endsAt: NOW + DAY }, reason: 'reply' },
  { name: 'second message within :days — RFC 5230 §4.1', db: repliedAt(NOW - 6 * DAY), reason: 'already-replied' },
  { name: 'sender key is case-insensitive', sender: 'BOB@Remote.Test', db: repliedAt(NOW - DAY), reason: 'already-replied' },
  { name: 'after :days again', db: repliedAt(NOW - 7 * DAY), reason: 'reply' },
  { name: ':days 1 answers again the next day', rule: { days: 1 }, db: repliedAt(NOW - DAY - 1), reason: 'reply' }
]

describe('shouldReply', () => {
  it.each(rows)('$name → $reason', (row) => {
    const decision = shouldReply(readHeaders(row.raw ?? message()), row.sender ?? 'bob@remote.test', { ...rule, ...row.rule }, row.now ?? NOW, row.db ?? noHistory)
    expect(decision.reason).toBe(row.reason)
    expect(decision.reply).toBe(row.reason === 'reply')
    expect(decision.detail).not.toBe('')
  })

  it('names the user address the message was sent to, for the reply\'s From', () => {
    const decision = shouldReply(readHeaders(message(['Cc: alice.work@example.org'], 'To: carol@remote.test')), 'bob@remote.test', rule, NOW, noHistory)
    expect(decision.matchedAddress).toBe('alice.work@example.org')
    expect(decision.senderKey).toBe('bob@remote.test')
  })

  it('reads folded and encoded header fields', () => {
    const raw = 'From: bob@remote.test\r\nTo: carol@remote.test,\r\n  alice@mailroom.test\r\nList-Id:\r\n <golf.lists.test>\r\n\r\nbody\r\n'
    expect(shouldReply(readHeaders(raw), 'bob@remote.test', rule, NOW, noHistory).reason).toBe('list-header')
    expect(shouldReply(readHeaders(raw.replace(/List-Id:\r\n <golf.lists.test>\r\n/, '')), 'bob@remote.test', rule, NOW, noHistory).reason).toBe('reply')
  })

  it('looks only at the header section (a "List-Id:" line in the body does not count)', () => {
    const raw = message() + '\r\nList-Id: <not.a.header>\r\n'
    expect(shouldReply(readHeaders(raw), 'bob@remote.test', rule, NOW, noHistory).reason).toBe('reply')
  })
})
