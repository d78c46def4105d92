// The listener's small parts: bare CR/LF detection across chunks, the Received: header, the relay and recipient policy, HTTP lines.
import { describe, expect, it } from 'vitest'
import { isHttpRequestLine } from '../../../src/main/listener/http-guard'
import { LineEndChecker } from '../../../src/main/listener/line-ends'
import { checkCredentials, checkRecipient, checkSender, isLoopback } from '../../../src/main/listener/policy'
import { protocolName, receivedHeader } from '../../../src/main/listener/received'
import { usersRecipientCheck } from '../../../src/main/listener/recipients'
import { replyForSubmitError } from '../../../src/main/listener/replies'
import { localDomainsFrom } from '../../../src/main/local/domains'
import { AppError } from '../../../src/shared/result'
import { configSchema } from '../../../src/main/config/schema'

function check(...chunks: string[]): ReturnType<LineEndChecker['end']> {
  const checker = new LineEndChecker()
  for (const c of chunks) checker.push(Buffer.from(c, 'latin1'))
  return checker.end()
}

describe('bare CR / LF detection', () => {
  it('accepts CRLF everywhere, also when a CRLF is split between two chunks', () => {
    expect(check('a\r\nb\r\n')).toBeNull()
    expect(check('a\r', '\nb\r\n')).toBeNull()
    expect(check('')).toBeNull()
  })
  it('finds a bare LF, a bare CR, CR CR LF, and a CR as the last byte, with the line number', () => {
    expect(check('a\r\nb\nc\r\n')).toEqual({ kind: 'LF', line: 2 })
    expect(check('a\rb\r\n')).toEqual({ kind: 'CR', line: 1 })
    expect(check('a\r\r\n')).toEqual({ kind: 'CR', line: 1 })
    expect(check('a\r\n', 'b\r')).toEqual({ kind: 'CR', line: 2 })
    expect(check('\n')).toEqual({ kind: 'LF', line: 1 })
  })
})

describe('Received: header', () => {
  it('names HELO, client address, our host, protocol and the single recipient, folded with CRLF TAB', () => {
    const header = receivedHeader({
      helo: 'laptop', openingCommand: 'EHLO', clientAddress: '::1', clientHostname: '', hostname: 'mailroom.test',
      tls: null, authenticated: false, recipients: ['a@b.test'], now: Date.UTC(2026, 0, 2, 3, 4, 5)
    })
    expect(header).toMatch(/^Received: from laptop \(localhost \[IPv6:::1\]\)\r\n\tby mailroom\.test \(Mailroom\) with ESMTP\r\n\tfor <a@b\.test>; \w{3}, \d+ Jan 2026 \d\d:\d\d:\d\d [+-]\d{4}\r\n$/)
  })
  it('leaves out "for" with several recipients (Bcc privacy) and cleans a hostile HELO', () => {
    const header = receivedHeader({
      helo: 'evil (x)\r\nBcc: y', openingCommand: 'HELO', clientAddress: '127.0.0.1', clientHostname: '', hostname: 'h.test',
      tls: null, authenticated: false, recipients: ['a@b.test', 'c@d.test'], now: 0
    })
    expect(header).not.toContain('for <')
    expect(header.split('\r\n').filter((l) => l !== '')).toHaveLength(2)
    expect(header).toContain('from evil??x???Bcc:?y (localhost')
  })
  it('uses the RFC 3848 protocol names', () => {
    expect([protocolName('HELO', true, true), protocolName('EHLO', false, false), protocolName('EHLO', true, false), protocolName('EHLO', true, true)])
      .toEqual(['SMTP', 'ESMTP', 'ESMTPS', 'ESMTPSA'])
  })
})

describe('policy', () => {
  const options = (checkLocal = async () => ({ ok: true as const })) => ({
    hostname: 'me.test', localDomains: localDomainsFrom(['me.test']), checkLocal,
    relay: { ownUser: true, ownUid: 1000, users: [] }
  })
  const facts = (uid: number | null, user: string | null = null) => ({ authenticatedUser: user, peerUid: async () => uid })

  it('refuses a syntactically bad recipient with 553 5.1.3 and a bad sender with 553 5.1.7', async () => {
    expect((await checkRecipient(options(), facts(1000), 'alice@-bad-.test'))?.message).toMatch(/^5\.1\.3 </)
    expect(checkSender('a..b@x.test', 'me.test')?.message).toMatch(/^5\.1\.7 /)
    expect(checkSender('', 'me.test')).toBeNull()
  })
  it('asks for the peer uid only for a remote recipient without AUTH', async () => {
    let asked = 0
    const session = { authenticatedUser: null, peerUid: async () => { asked++; return 1000 } }
    expect(await checkRecipient(options(), session, 'alice@me.test')).toBeNull()
    expect(asked).toBe(0)
    expect(await checkRecipient(options(), session, 'bob@far.test')).toBeNull()
    expect(asked).toBe(1)
    expect(await checkRecipient(options(), facts(7, 'relay'), 'bob@far.test')).toBeNull()
    expect((await checkRecipient(options(), facts(7), 'bob@far.test'))?.responseCode).toBe(554)
  })
  it('checks credentials exactly', () => {
    const users = [{ user: 'a', password: 'p' }]
    expect(checkCredentials(users, 'a', 'p')).toBe('a')
    expect(checkCredentials(users, 'a', 'P')).toBeNull()
    expect(checkCredentials(users, 'A', 'p')).toBeNull()
    expect(checkCredentials([], '', '')).toBeNull()
  })
  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true)
    expect(['10.0.0.1', '::ffff:10.0.0.1', 'fe80::1'].some(isLoopback)).toBe(false)
  })
  it('knows the OS user, config local.users and postmaster as local recipients until aliases exist', async () => {
    const config = configSchema.parse({ local: { users: [{ name: 'carol', home: '/home/carol' }] } })
    const verdict = usersRecipientCheck(config, { name: 'dave', home: '/home/dave', uid: 1 })
    expect(await verdict('Dave', 'Dave@me.test')).toEqual({ ok: true })
    expect(await verdict('carol', 'carol@me.test')).toEqual({ ok: true })
    expect(await verdict('postmaster', 'postmaster@me.test')).toEqual({ ok: true })
    expect(await verdict('eve', 'eve@me.test')).toMatchObject({ ok: false, permanent: true })
  })
})

describe('replies for refused submissions', () => {
  it('maps QUEUE_FULL to 452 4.3.1, SPOOL_IO to 451 4.3.0, INVALID_MESSAGE to 554 5.6.0, anything else to 451 4.3.0', () => {
    const of = (e: unknown): string => { const r = replyForSubmitError(e); return `${r.responseCode} ${r.message}` }
    expect(of(new AppError('QUEUE_FULL', 'full'))).toBe('452 4.3.1 Insufficient system storage: full')
    expect(of(new AppError('SPOOL_IO', 'eio'))).toBe('451 4.3.0 Local error in processing, try again later: eio')
    expect(of(new AppError('INVALID_MESSAGE', 'NUL'))).toBe('554 5.6.0 Message refused: NUL')
    expect(of(new Error('boom'))).toBe('451 4.3.0 Local error in processing, try again later')
  })
})

describe('HTTP request lines', () => {
  it('recognises request lines and leaves SMTP alone', () => {
    expect(['GET / HTTP/1.1', 'post /x HTTP/1.0', 'CONNECT a:25 HTTP/1.1', 'PRI * HTTP/2.0'].every(isHttpRequestLine)).toBe(true)
    expect(['EHLO get', 'MAIL FROM:<GET@x>', 'GET / HTTPS'].some(isHttpRequestLine)).toBe(false)
  })
})

describe('recipient check with the expander', () => {
  const expansion = (targets: number, problems: Array<{ kind: 'unknown-user' | 'unreadable' | 'loop'; permanent: boolean; message: string }>) => ({
    recipient: 'x', warnings: [],
    targets: Array.from({ length: targets }, () => ({ target: { kind: 'mailbox' as const, user: 'x' }, via: [] })),
    problems: problems.map((p) => ({ ...p, address: 'x', enhanced: '5.1.1', via: [] }))
  })
  it('accepts what expands to a target and postmaster always; 550 for unknown, 451 for a temporary problem, the loop in words', async () => {
    const { expanderRecipientCheck } = await import('../../../src/main/listener/recipients')
    let next = expansion(1, [])
    const check = expanderRecipientCheck({ expand: async () => next })
    expect(await check('alias', 'alias@me.test')).toEqual({ ok: true })
    next = expansion(0, [])
    expect(await check('PostMaster', 'PostMaster@me.test')).toEqual({ ok: true })
    next = expansion(0, [{ kind: 'unknown-user', permanent: true, message: 'no such user' }])
    expect(await check('nobody', 'nobody@me.test')).toEqual({ ok: false, permanent: true, reason: 'User unknown in local recipient table' })
    next = expansion(0, [{ kind: 'unreadable', permanent: false, message: 'etc/aliases cannot be read' }])
    expect(await check('a', 'a@me.test')).toEqual({ ok: false, permanent: false, reason: 'etc/aliases cannot be read', enhanced: '5.1.1' })
    next = expansion(0, [{ kind: 'loop', permanent: true, message: 'a → b → a is a loop' }])
    expect(await check('a', 'a@me.test')).toEqual({ ok: false, permanent: true, reason: 'a → b → a is a loop', enhanced: '5.1.1' })
  })
})
