// DSN builder: the RFC 3464 report parsed back with mailparser and its delivery-status part checked field by field.
import { simpleParser } from 'mailparser'
import { describe, expect, it } from 'vitest'
import { buildDsn, splitHeaders, type DsnBuildInput } from '../../../src/main/notices/dsn'
import { foldField, rfc5322Date } from '../../../src/main/notices/dsn-fields'
import type { NoticeRecipient } from '../../../src/main/notices/types'
import { HOUR, ORIGINAL, T0, envelope, gone, lineProblems, parseStatusGroups, splitMultipart } from './helpers'

function build(overrides: Partial<DsnBuildInput> = {}) {
  return buildDsn({ kind: 'failure', hostname: 'mailroom.test', envelope: envelope(), recipients: [gone], data: ORIGINAL, now: T0 + HOUR, ...overrides })
}

function statusOf(raw: Buffer): { perMessage: Record<string, string>; recipients: Record<string, string>[]; contentType: string } {
  const { parts } = splitMultipart(raw.toString('utf8'))
  const part = parts[1]
  if (part === undefined) throw new Error('no status part')
  const [perMessage = {}, ...recipients] = parseStatusGroups(part.body)
  return { perMessage, recipients, contentType: part.headers['content-type'] ?? '' }
}

describe('failure notice (bounce)', () => {
  it('parses back with mailparser: sender, subject, threading and auto-submitted headers', async () => {
    const notice = build()
    const mail = await simpleParser(notice.data)
    expect(mail.from?.value[0]).toEqual({ address: 'MAILER-DAEMON@mailroom.test', name: 'Mail Delivery System' })
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : null).toBe('alice@local.test')
    expect(mail.subject).toBe('Undelivered Mail Returned to Sender')
    expect(mail.inReplyTo).toBe('<orig-1@local.test>')
    expect(mail.references).toBe('<orig-1@local.test>')
    expect(mail.headers.get('auto-submitted')).toBe('auto-replied')
    expect(mail.messageId).toBe(notice.messageId)
    expect(mail.date?.getTime()).toBe(T0 + HOUR)
    const contentType = mail.headers.get('content-type') as { value: string; params: Record<string, string> }
    expect(contentType.value).toBe('multipart/report')
    expect(contentType.params['report-type']).toBe('delivery-status')
  })

  it('explains in words what happened, the server reply, the code and what to do', async () => {
    const mail = await simpleParser(build().data)
    const text = mail.text ?? ''
    expect(text).toContain('could not be delivered to the recipient below')
    expect(text).toContain('<gone@remote.test> (originally <Gone@Remote.test>)')
    expect(text).toContain('What happened: The server for remote.test says the mailbox does not exist.')
    expect(text).toContain('The server said: 550 5.1.1 <gone@remote.test>: Recipient address rejected: no such user')
    expect(text).toContain('Status: 5.1.1, after 2 attempts')
    expect(text).toContain('What you can do: Check the address for typing mistakes')
    expect(text).toContain('Subject: Quarterly report')
    expect(text).toContain('The headers of your original message are attached below.')
  })

  it('has three parts in RFC 3464 order and a delivery-status part checked field by field', () => {
    const notice = build({ envelope: envelope({ dsn: { envid: 'QQ314159' } }) })
    const { top, parts } = splitMultipart(notice.data.toString('utf8'))
    expect(top['content-type']).toMatch(/^multipart\/report; report-type=delivery-status; boundary="/)
    expect(parts.map((p) => p.headers['content-type'])).toEqual(['text/plain; charset=utf-8', 'message/delivery-status', 'text/rfc822-headers'])
    const { perMessage, recipients } = statusOf(notice.data)
    expect(perMessage).toEqual({
      'Reporting-MTA': 'dns; mailroom.test',
      'X-Mailroom-Queue-ID': '01JGZ0000000AB000001',
      'X-Mailroom-Sender': 'rfc822; alice@local.test',
      'Original-Envelope-Id': 'QQ314159',
      'Arrival-Date': 'Mon, 06 Jan 2025 09:00:00 +0000'
    })
    expect(recipients).toEqual([{
      'Original-Recipient': 'rfc822; Gone@Remote.test',
      'Final-Recipient': 'rfc822; gone@remote.test',
      Action: 'failed',
      Status: '5.1.1',
      'Remote-MTA': 'dns; mx.remote.test',
      'Diagnostic-Code': 'smtp; 550 5.1.1 <gone@remote.test>: Recipient address rejected: no such user',
      'Last-Attempt-Date': 'Mon, 06 Jan 2025 10:00:00 +0000'
    }])
  })

  it('RET=HDRS (and no RET) returns only the original headers', () => {
    for (const dsn of [undefined, { ret: 'HDRS' as const }]) {
      const { parts } = splitMultipart(build({ envelope: envelope(dsn === undefined ? {} : { dsn }) }).data.toString('utf8'))
      expect(parts[2]?.headers['content-type']).toBe('text/rfc822-headers')
      expect(parts[2]?.body).toContain('Subject: Quarterly report\r\nMessage-ID: <orig-1@local.test>')
      expect(parts[2]?.body).not.toContain('Hello Bob')
    }
  })

  it('RET=FULL returns the whole original as message/rfc822', async () => {
    const notice = build({ envelope: envelope({ dsn: { ret: 'FULL' } }) })
    const { parts } = splitMultipart(notice.data.toString('utf8'))
    expect(parts[2]?.headers['content-type']).toBe('message/rfc822')
    expect(parts[2]?.body).toBe(ORIGINAL.toString('latin1'))
    const mail = await simpleParser(notice.data)
    const attached = mail.attachments.find((a) => a.contentType === 'message/rfc822')
    expect(attached?.content.toString('latin1')).toBe(ORIGINAL.toString('latin1'))
    expect(mail.text).toContain('Your original message is attached below.')
  })

  it('RET=FULL of a message over the limit returns its headers and says why', async () => {
    const big = Buffer.concat([ORIGINAL, Buffer.from('x'.repeat(70) + '\r\n').subarray(0, 72), Buffer.alloc(2000, 0x41), Buffer.from('\r\n')])
    const notice = build({ envelope: envelope({ dsn: { ret: 'FULL' } }), data: big, maxReturnBytes: 1024 })
    const { parts } = splitMultipart(notice.data.toString('utf8'))
    expect(parts[2]?.headers['content-type']).toBe('text/rfc822-headers')
    expect(parts[2]?.body).not.toContain('Hello Bob')
    const mail = await simpleParser(notice.data)
    expect(mail.text).toContain('is larger than the 1 KB a notice may carry, so only its headers are attached below')
  })

  it('RET=FULL of a message with over-long lines returns its headers (the notice must stay valid) and says why', async () => {
    const data = Buffer.from(`Subject: long\r\nX-Long: ${'h'.repeat(1200)}\r\n\r\n${'b'.repeat(1200)}\r\n`)
    const notice = build({ envelope: envelope({ dsn: { ret: 'FULL' } }), data })
    expect(lineProblems(notice.data)).toEqual([])
    const { parts } = splitMultipart(notice.data.toString('utf8'))
    expect(parts[2]?.headers['content-type']).toBe('text/rfc822-headers')
    expect(parts[2]?.body).toBe(`Subject: long\r\nX-Long: ${'h'.repeat(998 - 8)}\r\n`)
    expect((await simpleParser(notice.data)).text).toContain('has lines longer than mail allows (998 characters), so only its headers are attached')
  })

  it('cuts a huge header section at a line end and says so', async () => {
    const manyHeaders = Buffer.from(Array.from({ length: 200 }, (_, i) => `X-Filler-${i}: ${'y'.repeat(60)}\r\n`).join('') + '\r\nbody\r\n')
    const notice = build({ data: manyHeaders, maxHeaderBytes: 2048 })
    const { parts } = splitMultipart(notice.data.toString('utf8'))
    const body = parts[2]?.body ?? ''
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(2048)
    expect(body).toMatch(/^X-Filler-0: y+\r\n/)
    expect(body.endsWith('\r\n')).toBe(true)
    expect((await simpleParser(notice.data)).text).toContain('cut after the first 2 KB')
  })

  it('reports a non-SMTP failure (DNS) without an SMTP diagnostic and with the default status', () => {
    const dns: NoticeRecipient = { address: 'x@nowhere.test', original: 'x@nowhere.test', attempts: 1, reply: { text: 'nowhere.test: domain not found (NXDOMAIN)', human: 'The domain nowhere.test does not exist.' } }
    const { recipients } = statusOf(build({ recipients: [dns] }).data)
    expect(recipients[0]).toMatchObject({ Status: '5.0.0', 'Diagnostic-Code': 'X-Mailroom; nowhere.test: domain not found (NXDOMAIN)' })
    expect(recipients[0]).not.toHaveProperty('Remote-MTA')
  })

  it('keeps 4.4.7 for a recipient that expired, with advice for an unreachable server', async () => {
    const expired: NoticeRecipient = { ...gone, reply: { code: 451, enhanced: '4.4.7', text: '451 4.3.0 try later', host: 'mx.remote.test[127.0.0.2]:25', human: 'gave up after 5 days; last error: the server is busy' } }
    const notice = build({ recipients: [expired] })
    expect(statusOf(notice.data).recipients[0]).toMatchObject({ Action: 'failed', Status: '4.4.7', 'Diagnostic-Code': 'smtp; 451 4.3.0 try later' })
    expect((await simpleParser(notice.data)).text).toContain('could not be reached for the whole time Mailroom kept trying')
  })

  it('lists several recipients, each in its own block', () => {
    const other: NoticeRecipient = { address: 'full@remote.test', original: 'full@remote.test', attempts: 1, reply: { code: 552, enhanced: '5.2.2', text: 'mailbox full' } }
    const { recipients } = statusOf(build({ recipients: [gone, other] }).data)
    expect(recipients.map((r) => [r['Final-Recipient'], r.Status, r['Diagnostic-Code']])).toEqual([
      ['rfc822; gone@remote.test', '5.1.1', 'smtp; 550 5.1.1 <gone@remote.test>: Recipient address rejected: no such user'],
      ['rfc822; full@remote.test', '5.2.2', 'smtp; 552 mailbox full']
    ])
  })
})

describe('delay warning', () => {
  const waiting: NoticeRecipient = { ...gone, reply: { code: 450, enhanced: '4.2.0', text: '450 4.2.0 try again later', host: 'mx.remote.test[127.0.0.2]:25', human: 'The server for remote.test is busy.' }, willRetryUntil: T0 + 120 * HOUR }

  it('says it is still trying and until when, with Action delayed and Will-Retry-Until', async () => {
    const notice = build({ kind: 'delay', recipients: [waiting], now: T0 + 4 * HOUR, envelope: envelope({ dsn: { ret: 'FULL' } }) })
    expect(notice.subject).toBe('Delayed Mail (still being retried)')
    const mail = await simpleParser(notice.data)
    expect(mail.subject).toBe('Delayed Mail (still being retried)')
    expect(mail.text).toContain('This is only a warning: you do not need to send it again')
    expect(mail.text).toContain(`It gives up on ${rfc5322Date(T0 + 120 * HOUR)}`)
    expect(statusOf(notice.data).recipients[0]).toEqual({
      'Original-Recipient': 'rfc822; Gone@Remote.test',
      'Final-Recipient': 'rfc822; gone@remote.test',
      Action: 'delayed',
      Status: '4.2.0',
      'Remote-MTA': 'dns; mx.remote.test',
      'Diagnostic-Code': 'smtp; 450 4.2.0 try again later',
      'Last-Attempt-Date': 'Mon, 06 Jan 2025 13:00:00 +0000',
      'Will-Retry-Until': 'Sat, 11 Jan 2025 09:00:00 +0000'
    })
    // A delay warning never carries the message itself, even with RET=FULL: it is still in the queue.
    expect(splitMultipart(notice.data.toString('utf8')).parts[2]?.headers['content-type']).toBe('text/rfc822-headers')
  })

  it('never reports a permanent code in a delay, and defaults to 4.0.0', () => {
    const odd: NoticeRecipient = { ...waiting, reply: { code: 550, enhanced: '5.1.1', text: 'odd' } }
    const none: NoticeRecipient = { ...waiting, reply: null, attempts: 0 }
    const { recipients } = statusOf(build({ kind: 'delay', recipients: [odd, none] }).data)
    expect(recipients.map((r) => r.Status)).toEqual(['4.0.0', '4.0.0'])
    expect(recipients[1]).not.toHaveProperty('Last-Attempt-Date')
  })
})

describe('deleted from the outbox', () => {
  it('tells the sender the message was deleted, Action failed, Status 5.0.0', async () => {
    const never: NoticeRecipient = { address: 'bob@remote.test', original: 'bob@remote.test', attempts: 0, reply: null }
    const notice = build({ kind: 'deleted', recipients: [never] })
    const mail = await simpleParser(notice.data)
    expect(mail.subject).toBe('Mail deleted from the outbox')
    expect(mail.text).toContain('Your message was deleted from the outbox before it reached the recipient below')
    expect(mail.text).toContain('Not attempted yet when the message was deleted.')
    expect(statusOf(notice.data).recipients[0]).toEqual({
      'Original-Recipient': 'rfc822; bob@remote.test', 'Final-Recipient': 'rfc822; bob@remote.test', Action: 'failed', Status: '5.0.0'
    })
  })
})

describe('safety of the generated message', () => {
  it('a reply text with CR/LF cannot inject header lines or status fields', async () => {
    const evil: NoticeRecipient = {
      address: 'gone@remote.test\r\nBcc: victim@example.org',
      original: 'gone@remote.test',
      attempts: 1,
      reply: { code: 550, enhanced: '5.1.1\r\nAction: delivered', text: '550 no\r\nBcc: victim@example.org\r\n\r\nX-Injected: yes\nAction: delivered', host: 'mx\r\nX-Evil: 1', human: 'bad\r\nSubject: pwned' }
    }
    const notice = build({ recipients: [evil], envelope: envelope({ sender: 'alice@local.test>\r\nBcc: victim@example.org', subject: 'hi\r\nBcc: x@y' }) })
    const raw = notice.data.toString('utf8')
    expect(raw).not.toMatch(/^(Bcc|X-Injected|X-Evil|Subject: pwned)/im)
    expect(raw.match(/^Action:.*$/gm)).toEqual(['Action: failed'])
    expect(lineProblems(notice.data)).toEqual([])
    const mail = await simpleParser(notice.data)
    expect(mail.headers.has('bcc')).toBe(false)
    expect(mail.subject).toBe('Undelivered Mail Returned to Sender')
    const { recipients } = statusOf(notice.data)
    expect(recipients).toHaveLength(1)
    expect(recipients[0]?.Status).toBe('5.0.0')
    expect(recipients[0]?.['Final-Recipient']).toBe('rfc822; gone@remote.testBcc:victim@example.org')
    expect(recipients[0]).not.toHaveProperty('Remote-MTA')
  })

  it('folds very long replies and keeps every line under 998 octets with CRLF line ends', () => {
    const long: NoticeRecipient = { ...gone, reply: { code: 550, text: `550 ${'word '.repeat(300)}${'z'.repeat(1500)}` } }
    const notice = build({ recipients: [long], data: Buffer.concat([ORIGINAL]) })
    expect(lineProblems(notice.data)).toEqual([])
    const diag = statusOf(notice.data).recipients[0]?.['Diagnostic-Code'] ?? ''
    expect(diag.startsWith('smtp; 550 word word')).toBe(true)
    expect(diag.length).toBeGreaterThan(1500)
    expect(diag.length).toBeLessThanOrEqual(2100)
  })

  it('a non-ASCII address makes the report message/global-delivery-status with utf-8 address types', async () => {
    const intl: NoticeRecipient = { address: 'jürgen@bücher.test', original: 'jürgen@bücher.test', attempts: 1, reply: { code: 550, enhanced: '5.1.1', text: 'unknown' } }
    const notice = build({ recipients: [intl] })
    const { recipients, contentType } = statusOf(notice.data)
    expect(contentType).toBe('message/global-delivery-status')
    expect(recipients[0]?.['Final-Recipient']).toBe('utf-8; jürgen@bücher.test')
    expect((await simpleParser(notice.data)).text).toContain('<jürgen@bücher.test>')
  })

  it('picks another boundary when the original message contains the proposed one', () => {
    const data = Buffer.from('Subject: x\r\n\r\n--=_fixed\r\n')
    const notice = build({ boundary: '=_fixed', data, envelope: envelope({ dsn: { ret: 'FULL' } }) })
    const { top, parts } = splitMultipart(notice.data.toString('utf8'))
    expect(top['content-type']).not.toContain('"=_fixed"')
    expect(parts).toHaveLength(3)
    expect(parts[2]?.body).toBe('Subject: x\r\n\r\n--=_fixed\r\n')
  })

  it('marks an 8-bit original 8bit and keeps its bytes', () => {
    const data = Buffer.concat([Buffer.from('Subject: caf'), Buffer.from([0xc3, 0xa9]), Buffer.from('\r\n\r\nbody\r\n')])
    const notice = build({ data })
    const { parts } = splitMultipart(notice.data.toString('latin1'))
    expect(parts[2]?.headers['content-transfer-encoding']).toBe('8bit')
    expect(notice.data.includes(Buffer.from([0xc3, 0xa9]))).toBe(true)
  })
})

describe('helpers', () => {
  it('splitHeaders finds the end of the header section for CRLF, LF and header-only messages', () => {
    expect(splitHeaders(Buffer.from('A: 1\r\nB: 2\r\n\r\nbody')).headers.toString()).toBe('A: 1\r\nB: 2\r\n')
    expect(splitHeaders(Buffer.from('A: 1\n\nbody')).headers.toString()).toBe('A: 1\n')
    expect(splitHeaders(Buffer.from('A: 1\r\n')).headers.toString()).toBe('A: 1\r\n')
    expect(splitHeaders(Buffer.from('\r\nbody')).headers.length).toBe(0)
  })

  it('foldField folds at white space and breaks long words, never losing characters', () => {
    const line = `Diagnostic-Code: smtp; ${'abc '.repeat(50)}${'q'.repeat(600)}`
    const folded = foldField(line)
    for (const l of folded.split('\r\n')) expect(l.length).toBeLessThanOrEqual(241)
    expect(folded.replace(/\r\n /g, ' ').replace(/ /g, '')).toBe(line.replace(/ /g, ''))
    expect(foldField('Status: 5.1.1')).toBe('Status: 5.1.1')
  })

  it('rfc5322Date formats in UTC', () => {
    expect(rfc5322Date(Date.UTC(2025, 11, 31, 23, 59, 7))).toBe('Wed, 31 Dec 2025 23:59:07 +0000')
  })
})
