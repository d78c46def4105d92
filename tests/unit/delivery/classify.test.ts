// The reply classifier: SMTP replies, nodemailer and socket errors, DNS failures → status, RFC 3463 code, sentence.
import { describe, expect, it } from 'vitest'
import { classifyError, classifyReply, parseEnhanced, type SmtpPhase } from '../../../src/main/delivery/classify'
import { DnsLookupError } from '../../../src/main/dns/resolver'

const at = (phase: SmtpPhase) => ({ domain: 'example.com', host: 'mx.example.com', phase })

describe('classifyReply', () => {
  const table: Array<[number, string, SmtpPhase, 'sent' | 'deferred' | 'failed', string]> = [
    [250, '250 2.0.0 Ok: queued as 4Xz', 'dot', 'sent', '2.0.0'],
    [250, 'Ok', 'dot', 'sent', '2.0.0'],
    [250, '2.1.5 Ok', 'rcpt', 'sent', '2.1.5'],
    [450, '4.2.1 Mailbox busy', 'rcpt', 'deferred', '4.2.1'],
    [450, 'Requested mail action not taken: mailbox unavailable', 'rcpt', 'deferred', '4.2.0'],
    [450, '4.7.1 Greylisted, try again in 5 minutes', 'rcpt', 'deferred', '4.7.1'],
    [451, 'Local error in processing', 'mail', 'deferred', '4.3.0'],
    [451, '4.3.0 Try again later', 'dot', 'deferred', '4.3.0'],
    [452, '4.5.3 Too many recipients', 'rcpt', 'deferred', '4.5.3'],
    [452, 'Insufficient system storage', 'rcpt', 'deferred', '4.3.1'],
    [452, 'Insufficient system storage', 'mail', 'deferred', '4.3.1'],
    [550, '5.1.1 <bob@example.com>: Recipient address rejected: User unknown', 'rcpt', 'failed', '5.1.1'],
    [550, 'User unknown', 'rcpt', 'failed', '5.1.1'],
    [550, '5.7.1 Relaying denied', 'rcpt', 'failed', '5.7.1'],
    [550, 'Sender rejected', 'mail', 'failed', '5.0.0'],
    [551, 'User not local; please try <bob@elsewhere.example>', 'rcpt', 'failed', '5.1.6'],
    [551, '5.1.6 Mailbox moved', 'rcpt', 'failed', '5.1.6'],
    [552, 'Mailbox full', 'rcpt', 'failed', '5.2.2'],
    [552, '5.2.2 Quota exceeded', 'rcpt', 'failed', '5.2.2'],
    [552, 'Message size exceeds fixed limit', 'dot', 'failed', '5.3.4'],
    [552, 'Message size exceeds fixed limit', 'mail', 'failed', '5.3.4'],
    [553, 'Mailbox name not allowed', 'rcpt', 'failed', '5.1.3'],
    [553, 'Sender address invalid', 'mail', 'failed', '5.1.7'],
    [553, '5.7.1 Sender not authorised', 'mail', 'failed', '5.7.1'],
    [554, '5.7.1 Message rejected as spam', 'dot', 'failed', '5.7.1'],
    [554, 'Transaction failed', 'dot', 'failed', '5.0.0'],
    [554, 'Transaction failed', 'data', 'failed', '5.0.0'],
    [554, '5.7.1 No valid recipients', 'data', 'failed', '5.7.1'],
    [503, 'Bad sequence of commands', 'data', 'failed', '5.5.1'],
    // Before MAIL FROM a refusal says nothing about the message: deferred, with the class made to match.
    [421, 'mx.example.com Service not available', 'greeting', 'deferred', '4.3.2'],
    [554, 'No SMTP service here', 'greeting', 'deferred', '4.0.0'],
    [554, '5.7.1 Your address is listed', 'connect', 'deferred', '4.7.1'],
    [550, 'HELO name rejected', 'ehlo', 'deferred', '4.0.0'],
    [454, 'TLS not available due to temporary reason', 'starttls', 'deferred', '4.7.0'],
    [535, '5.7.8 Authentication credentials invalid', 'auth', 'deferred', '4.7.8'],
    [535, 'Authentication failed', 'auth', 'deferred', '4.7.8'],
    // An enhanced code whose class contradicts the reply code takes the reply code's class.
    [550, '4.1.1 No such user', 'rcpt', 'failed', '5.1.1'],
    [421, '4.4.2 Timeout, closing', 'rcpt', 'deferred', '4.4.2']
  ]

  it.each(table)('%i "%s" during %s → %s %s', (code, text, phase, status, enhanced) => {
    const result = classifyReply({ code, text }, at(phase))
    expect(result.status).toBe(status)
    expect(result.enhanced).toBe(enhanced)
    expect(result.unreachable).toBe(false)
    expect(result.human).toMatch(/^The server for example\.com .+\.$/)
  })

  it('reads the enhanced code of a multi-line reply', () => {
    const text = '550-5.1.1 The email account that you tried to reach does not exist.\n550 5.1.1 https://support.example/?p=NoSuchUser'
    expect(classifyReply({ code: 550, text }, at('rcpt'))).toMatchObject({ status: 'failed', enhanced: '5.1.1' })
  })

  it('prefers an enhanced code given separately', () => {
    expect(classifyReply({ code: 550, text: 'Account disabled', enhanced: '5.2.1' }, at('rcpt')).enhanced).toBe('5.2.1')
  })

  it('says what the codes mean in one sentence', () => {
    const human = (code: number, text: string, phase: SmtpPhase): string => classifyReply({ code, text }, at(phase)).human
    expect(human(550, '5.1.1 User unknown', 'rcpt')).toBe('The server for example.com says the mailbox does not exist.')
    expect(human(550, '5.1.2 Bad destination system', 'rcpt')).toBe('The server for example.com says it does not handle mail for that domain.')
    expect(human(552, '5.2.2 Over quota', 'rcpt')).toBe('The server for example.com says the mailbox is full.')
    expect(human(452, '4.2.2 Over quota', 'rcpt')).toBe('The server for example.com says the mailbox is full; this is temporary.')
    expect(human(550, '5.7.1 Denied', 'rcpt')).toBe('The server for example.com says the message is refused by policy.')
    expect(human(552, '5.3.4 Too big', 'dot')).toBe('The server for example.com says the message is too big.')
    expect(human(451, '4.3.0 Local error', 'dot')).toBe('The server for example.com says its mail system has a problem; this is temporary.')
    expect(human(421, 'Closing', 'greeting')).toBe('The server for example.com says it is not accepting messages right now; this is temporary.')
    expect(human(550, 'Sender refused', 'mail')).toBe('The server for example.com says it does not accept the sender.')
    expect(human(554, 'Rejected', 'dot')).toBe('The server for example.com says it does not accept the message.')
    expect(human(550, '5.7.26 Unauthenticated email is not accepted', 'dot')).toBe('The server for example.com says the message failed sender authentication (DMARC).')
    expect(human(250, 'Ok', 'dot')).toBe('The server for example.com accepted the message.')
  })

  it('treats a reply outside 2xx/4xx/5xx as a temporary protocol problem', () => {
    expect(classifyReply({ code: 354, text: 'go ahead' }, at('dot'))).toMatchObject({ status: 'deferred', enhanced: '4.5.0' })
  })
})

describe('parseEnhanced', () => {
  it.each([
    ['5.1.1 User unknown', '5.1.1'],
    ['550 5.1.1 User unknown', '5.1.1'],
    ['550-5.7.26 DMARC', '5.7.26'],
    ['4.7.1', '4.7.1'],
    ['2.0.0 Ok', '2.0.0'],
    ['User unknown', undefined],
    ['5.1 User unknown', undefined],
    ['3.1.1 not a class', undefined],
    ['5.1.1.1 odd', undefined]
  ])('%s → %s', (text, expected) => {
    expect(parseEnhanced(text)).toBe(expected)
  })
})

describe('classifyError', () => {
  const err = (fields: Record<string, unknown>, message = 'boom'): Error => Object.assign(new Error(message), fields)

  it.each([
    ['refused (nodemailer)', err({ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }), 'connect', '4.4.1', true],
    ['refused (socket)', err({ code: 'ECONNREFUSED' }), 'connect', '4.4.1', true],
    ['host unreachable', err({ code: 'EHOSTUNREACH' }), 'connect', '4.4.1', true],
    ['network unreachable', err({ code: 'ENETUNREACH' }), 'connect', '4.4.1', true],
    ['connect timeout', err({ code: 'ETIMEDOUT' }), 'connect', '4.4.1', true],
    ['reset while connecting', err({ code: 'ECONNRESET' }), 'connect', '4.4.1', true],
    ['no greeting', err({ code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT', command: 'CONN' }), 'greeting', '4.4.2', false],
    ['reset', err({ code: 'ECONNRESET' }), 'rcpt', '4.4.2', false],
    ['broken pipe', err({ code: 'EPIPE' }), 'mail', '4.4.2', false],
    ['closed', err({ code: 'ECONNECTION', command: 'CONN' }, 'Connection closed unexpectedly'), 'rcpt', '4.4.2', false],
    ['socket error', err({ code: 'ESOCKET', originalCode: 'ECONNRESET', command: 'CONN' }), 'data', '4.4.2', false],
    ['idle timeout', err({ code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT', command: 'CONN' }), 'mail', '4.4.2', false],
    ['TLS error', err({ code: 'ETLS', command: 'STARTTLS' }), 'starttls', '4.4.2', false],
    ['TLS handshake', err({ code: 'ESOCKET', originalCode: 'ERR_SSL_WRONG_VERSION_NUMBER', command: 'CONN' }), 'starttls', '4.4.2', false],
    ['DNS (nodemailer)', err({ code: 'EDNS' }), 'connect', '4.4.3', true],
    ['protocol', err({ code: 'EPROTOCOL', command: 'CONN' }, 'Server response exceeds maximum allowed size'), 'mail', '4.5.0', false],
    ['auth without reply', err({ code: 'EAUTH', command: 'API' }, 'Missing credentials'), 'auth', '4.7.8', false]
  ] as const)('%s → deferred %s', (_name, error, phase, enhanced, unreachable) => {
    const result = classifyError(error, at(phase))
    expect(result).toMatchObject({ status: 'deferred', enhanced, unreachable })
    expect(result.human).toMatch(/\.$/)
  })

  it('names the server that could not be reached', () => {
    expect(classifyError(err({ code: 'ECONNREFUSED' }), at('connect')).human).toBe('The mail server mx.example.com for example.com refused the connection.')
    expect(classifyError(err({ code: 'ETIMEDOUT' }), at('connect')).human).toBe('The mail server mx.example.com for example.com did not answer.')
  })

  it('says a connection lost after the data may have delivered the message', () => {
    const lost = classifyError(err({ code: 'ECONNECTION', command: 'CONN' }, 'Connection closed unexpectedly'), at('dot'))
    expect(lost).toMatchObject({ status: 'deferred', enhanced: '4.4.2', unreachable: false })
    expect(lost.human).toContain('may have been delivered')
    const silent = classifyError(err({ code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT', command: 'CONN' }), at('dot'))
    expect(silent.human).toContain('may have been delivered')
  })

  it('classifies the server reply a nodemailer error carries, in the phase its command names', () => {
    const mail = err({ code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 553, response: '553 Sender address invalid' })
    expect(classifyError(mail, at('rcpt'))).toMatchObject({ status: 'failed', enhanced: '5.1.7' })
    const rcpt = err({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 451, response: '451 4.3.0 Try later' })
    expect(classifyError(rcpt, at('data'))).toMatchObject({ status: 'deferred', enhanced: '4.3.0' })
    const data = err({ code: 'EENVELOPE', command: 'DATA', responseCode: 554, response: '554 No valid recipients' })
    expect(classifyError(data, at('mail'))).toMatchObject({ status: 'failed', enhanced: '5.0.0' })
    const dot = err({ code: 'EMESSAGE', command: 'DATA', responseCode: 552, response: '552 Message too big' })
    expect(classifyError(dot, at('mail'))).toMatchObject({ status: 'failed', enhanced: '5.3.4' })
    const greeting = err({ code: 'EPROTOCOL', command: 'CONN', responseCode: 421, response: '421 Too busy' })
    expect(classifyError(greeting, at('greeting'))).toMatchObject({ status: 'deferred', enhanced: '4.3.2', unreachable: false })
    const closing = err({ code: 'ECONNECTION', command: 'CONN', responseCode: 421, response: '421 4.4.2 Bye' })
    expect(classifyError(closing, at('rcpt'))).toMatchObject({ status: 'deferred', enhanced: '4.4.2' })
    const login = err({ code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535, response: '535 5.7.8 Bad credentials' })
    expect(classifyError(login, at('mail'))).toMatchObject({ status: 'deferred', enhanced: '4.7.8' })
  })

  it('never calls a positive reply inside an error a success', () => {
    const odd = err({ code: 'EPROTOCOL', command: 'CONN', responseCode: 250, response: '250 Unexpected' }, 'Unexpected Response')
    expect(classifyError(odd, at('mail'))).toMatchObject({ status: 'deferred', enhanced: '4.5.0' })
  })

  it('fails what nodemailer refuses locally', () => {
    const size = err({ code: 'EMESSAGE', command: 'MAIL FROM' }, 'Message size larger than allowed 1000')
    expect(classifyError(size, at('mail'))).toMatchObject({ status: 'failed', enhanced: '5.3.4', human: 'The server for example.com accepts messages up to 1000 bytes, and this one is bigger.' })
    const address = err({ code: 'EENVELOPE', command: 'API' }, 'Invalid recipient "a\\r\\nb"')
    expect(classifyError(address, at('mail'))).toMatchObject({ status: 'failed', enhanced: '5.1.3' })
  })

  it('classifies DNS failures as routing does', () => {
    expect(classifyError(new DnsLookupError('nxdomain', 'example.com', 'MX', 'ENOTFOUND'), at('connect')))
      .toEqual({ status: 'failed', enhanced: '5.1.2', human: 'The domain example.com does not exist.', unreachable: false })
    expect(classifyError(new DnsLookupError('nodata', 'example.com', 'A/AAAA', 'ENODATA'), at('connect')))
      .toMatchObject({ status: 'failed', enhanced: '5.4.4' })
    expect(classifyError(new DnsLookupError('temporary', 'example.com', 'MX', 'ESERVFAIL'), at('connect')))
      .toMatchObject({ status: 'deferred', enhanced: '4.4.3', unreachable: false })
    expect(classifyError(new DnsLookupError('temporary', 'example.com', 'MX', 'ETIMEOUT'), at('connect')))
      .toMatchObject({ status: 'deferred', enhanced: '4.4.3', unreachable: true })
    expect(classifyError(new DnsLookupError('nxdomain', 'mx.example.com', 'A/AAAA', 'ENOTFOUND'), at('connect')))
      .toMatchObject({ status: 'deferred', enhanced: '4.4.3' })
  })

  it('defers anything else', () => {
    expect(classifyError('something odd', at('mail'))).toMatchObject({ status: 'deferred', enhanced: '4.0.0', unreachable: false })
  })
})
