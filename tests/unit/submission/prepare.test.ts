// Message checks before commit: header parsing, added headers, -t extraction, Bcc removal, line limits, dot handling.
import { describe, expect, it } from 'vitest'
import { prepareMessage, type PrepareOptions } from '../../../src/main/submission/prepare'
import { AppError } from '../../../src/shared/result'

const base: PrepareOptions = { hostname: 'mailroom.test', sender: 'alice@mailroom.test', recipients: [], extractRecipients: true, ignoreDots: true, now: Date.UTC(2026, 10, 25, 12, 0, 0) }
const prep = (text: string, options: Partial<PrepareOptions> = {}) => prepareMessage(Buffer.from(text, 'utf8'), { ...base, ...options })
const headerBlock = (data: Buffer) => data.toString('latin1').split('\r\n\r\n')[0] as string

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    if (error instanceof AppError) return error.code
    throw error
  }
  throw new Error('expected an error')
}

describe('prepareMessage', () => {
  it('reads recipients from To, Cc and Bcc with -t, removes Bcc and keeps the rest', () => {
    const p = prep('From: Alice <alice@mailroom.test>\nTo: Bob <bob@remote.test>, carol@remote.test\nCc: "Dan, D." <dan@remote.test>\nBcc: eve@remote.test\nSubject: hi\n\nbody\n')
    expect(p.recipients).toEqual(['bob@remote.test', 'carol@remote.test', 'dan@remote.test', 'eve@remote.test'])
    expect(headerBlock(p.data)).not.toMatch(/^Bcc:/im)
    expect(p.data.toString()).toContain('\r\n\r\nbody\r\n')
    expect(p.subject).toBe('hi')
  })

  it('adds Date and Message-ID when missing and keeps existing ones', () => {
    const added = prep('To: bob@remote.test\n\nx\n')
    expect(headerBlock(added.data)).toMatch(/^Date: \w{3}, \d{1,2} \w{3} 2026 \d\d:\d\d:\d\d [+-]\d{4}$/m)
    expect(added.messageId).toMatch(/^<[^@]+@mailroom\.test>$/)
    expect(headerBlock(added.data)).toContain(`Message-ID: ${added.messageId}`)
    expect(headerBlock(added.data)).toContain('From: alice@mailroom.test')
    const kept = prep('To: bob@remote.test\nMessage-ID: <keep@x>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nx\n')
    expect(kept.messageId).toBe('<keep@x>')
    expect(headerBlock(kept.data).match(/^Date:/gm)).toHaveLength(1)
  })

  it('normalises bare LF and bare CR to CRLF', () => {
    const p = prep('To: bob@remote.test\n\nline1\rline2\nline3\r\n')
    expect(p.data.toString()).toMatch(/\r\n\r\nline1\r\nline2\r\nline3\r\n$/)
    expect(p.data.toString().replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
  })

  it('refuses a line over 998 octets and names the line', () => {
    expect(() => prep(`To: bob@remote.test\n\n${'x'.repeat(999)}\n`)).toThrow(/line 3 is 999 octets/)
    expect(codeOf(() => prep(`To: bob@remote.test\n\n${'x'.repeat(999)}\n`))).toBe('INVALID_MESSAGE')
    expect(() => prep(`To: bob@remote.test\n\n${'x'.repeat(998)}\n`)).not.toThrow()
  })

  it('with -t and no recipient headers refuses with a clear reason', () => {
    expect(() => prep('Subject: nobody\n\nx\n')).toThrow(/no recipient addresses found in message header/)
    expect(() => prep('just a body, no headers at all\n')).toThrow(/has no header section/)
    expect(codeOf(() => prep('Subject: nobody\n\nx\n'))).toBe('NO_RECIPIENTS')
  })

  it('accepts a message without headers when recipients are on the command line, adding headers and a warning', () => {
    const p = prep('hello there\n', { extractRecipients: false, recipients: ['bob@remote.test'] })
    expect(p.warnings.join()).toMatch(/no header section/)
    expect(headerBlock(p.data)).toMatch(/^From: /m)
    expect(headerBlock(p.data)).toContain('To: undisclosed-recipients:;')
    expect(p.data.toString()).toMatch(/\r\n\r\nhello there\r\n$/)
  })

  it('inserts the missing blank line before a body line that follows the headers', () => {
    const p = prep('To: bob@remote.test\nthis is body\n')
    expect(p.warnings.join()).toMatch(/no empty line/)
    expect(p.data.toString()).toContain('To: bob@remote.test\r\n')
    expect(p.data.toString()).toMatch(/\r\n\r\nthis is body\r\n$/)
  })

  it('refuses invalid addresses in headers and on the command line, naming where', () => {
    expect(() => prep('To: bob@@remote.test\n\nx\n')).toThrow(/To header: "bob@@remote.test" is not a valid address/)
    expect(() => prep('x\n', { extractRecipients: false, recipients: ['a b@c'] })).toThrow(/recipient: "a b@c"/)
    expect(codeOf(() => prep('x\n', { extractRecipients: false, recipients: ['x@-bad-.test'] }))).toBe('INVALID_ADDRESS')
  })

  it('qualifies bare user names with the host name, as Postfix does with myorigin', () => {
    const p = prep('x\n', { extractRecipients: false, recipients: ['root'] })
    expect(p.recipients).toEqual(['root@mailroom.test'])
  })

  it('ends the input at a single dot unless -i', () => {
    const withDot = 'To: bob@remote.test\n\nbefore\n.\nafter\n'
    expect(prep(withDot, { ignoreDots: false }).data.toString()).not.toContain('after')
    expect(prep(withDot, { ignoreDots: true }).data.toString()).toContain('\r\n.\r\nafter')
  })

  it('folds continuation lines into one header and decodes an encoded subject', () => {
    const p = prep('To: bob@remote.test,\n  carol@remote.test\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n\nx\n')
    expect(p.recipients).toEqual(['bob@remote.test', 'carol@remote.test'])
    expect(p.subject).toBe('Grüße')
  })

  it('keeps 8-bit bodies byte for byte and reports them', () => {
    const p = prep('To: bob@remote.test\n\nGrüße aus Köln\n')
    expect(p.eightBit).toBe(true)
    expect(p.data.toString('utf8')).toContain('Grüße aus Köln')
  })

  it('adds command-line recipients to the header ones with -t and drops duplicates', () => {
    const p = prep('To: bob@remote.test\n\nx\n', { recipients: ['BOB@remote.test', 'carol@remote.test'] })
    expect(p.recipients).toEqual(['BOB@remote.test', 'carol@remote.test'])
  })

  it('uses the null sender for <> and names MAILER-DAEMON in the added From', () => {
    const p = prep('To: bob@remote.test\n\nx\n', { sender: '' })
    expect(p.sender).toBe('')
    expect(headerBlock(p.data)).toContain('From: MAILER-DAEMON@mailroom.test')
  })

  it('refuses NUL bytes', () => {
    expect(() => prep('To: bob@remote.test\n\na\0b\n')).toThrow(/NUL/)
  })
})

describe('prepareMessage full name (-F)', () => {
  it('puts the full name in the From header it adds, quoted, or RFC 2047-encoded when it is not ASCII', () => {
    expect(headerBlock(prep('To: bob@remote.test\n\nx\n', { fullName: 'Alice Example' }).data)).toMatch(/^From: Alice Example <alice@mailroom\.test>$/m)
    expect(headerBlock(prep('To: bob@remote.test\n\nx\n', { fullName: 'Jörg' }).data)).toMatch(/^From: =\?UTF-8\?Q\?J=C3=B6rg\?= <alice@mailroom\.test>$/m)
    // A line break in the name cannot inject a header.
    expect(headerBlock(prep('To: bob@remote.test\n\nx\n', { fullName: 'A\r\nBcc: x@y.test' }).data)).toMatch(/^From: "A Bcc: x@y\.test" <alice@mailroom\.test>$/m)
  })

  it('leaves an existing From header alone', () => {
    expect(headerBlock(prep('From: Real <r@mailroom.test>\nTo: bob@remote.test\n\nx\n', { fullName: 'Other' }).data)).toContain('From: Real <r@mailroom.test>')
  })
})

describe('prepareMessage address headers', () => {
  it.each([
    ['To: bob smith@remote.test', /"bob smith@remote\.test" is not a valid address/],
    ['To: a b c', /cannot find an address in "a b c"/],
    ['Cc: x@y.test <bad@@z>', /is not a valid address/]
  ])('refuses %s instead of guessing', (header, message) => {
    expect(() => prep(`${header}\n\nx\n`)).toThrow(message)
  })

  it('accepts names with angle addresses, comments and groups', () => {
    const p = prep('To: Bob <bob@remote.test>, carol@remote.test (Carol), friends: dan@remote.test;, undisclosed-recipients:;\n\nx\n')
    expect(p.recipients).toEqual(['bob@remote.test', 'carol@remote.test', 'dan@remote.test'])
  })
})
