// The classifier's smart host, certificate and local mailbox cases, one by one (the rest of classify.ts: classify.test.ts).
import { describe, expect, it } from 'vitest'
import { classifyError, classifyMailboxError, classifyReply, type ClassifyContext } from '../../../src/main/delivery/classify'
import { DnsLookupError } from '../../../src/main/dns/resolver'
import { AppError } from '../../../src/shared/result'

const smart = (phase: ClassifyContext['phase'], method = 'PLAIN'): ClassifyContext => ({ domain: 'example.test', host: 'smtp.relay.test', phase, smartHost: { user: 'alice', method } })

describe('smart host classification', () => {
  it('defers a refused login (535) with a sentence that names the user and what to check', () => {
    const error = { code: 'EAUTH', responseCode: 535, response: '535 5.7.8 Error: authentication failed', command: 'AUTH PLAIN' }
    expect(classifyError(error, smart('auth'))).toEqual({ status: 'deferred', enhanced: '4.7.8', unreachable: false, human: 'The smart host smtp.relay.test refused the login for alice: check the password.' })
    expect(classifyError(error, smart('auth', 'XOAUTH2')).human).toBe('The smart host smtp.relay.test refused the login for alice: check the account\'s sign-in.')
  })

  it('calls a 454 to AUTH temporary', () => {
    const error = { code: 'EAUTH', responseCode: 454, response: '454 4.7.0 Temporary authentication failure', command: 'AUTH PLAIN' }
    expect(classifyError(error, smart('auth'))).toMatchObject({ status: 'deferred', enhanced: '4.7.0', human: 'The smart host smtp.relay.test could not check the login for alice right now; this is temporary.' })
  })

  it('explains a refused STARTTLS as "encryption required", permanent refusal or not', () => {
    const refused = { code: 'ETLS', responseCode: 502, response: '502 5.5.1 Error: command not implemented', command: 'STARTTLS' }
    expect(classifyError(refused, smart('starttls'))).toMatchObject({ status: 'deferred', enhanced: '4.7.10', human: 'The smart host smtp.relay.test does not offer encryption (STARTTLS), which this route requires; nothing was sent, not even the login.' })
    const busy = { ...refused, responseCode: 454, response: '454 4.7.0 TLS not available due to local problem' }
    expect(classifyError(busy, smart('starttls')).human).toMatch(/could not start encryption \(STARTTLS\) right now/)
  })

  it('names each kind of untrusted certificate', () => {
    const tls = (message: string, originalCode?: string) => classifyError({ code: 'ETLS', message: `Error initiating TLS - ${message}`, command: 'STARTTLS', ...(originalCode ? { originalCode } : {}) }, smart('starttls')).human
    expect(tls('self-signed certificate')).toBe('The certificate of smtp.relay.test is not trusted (self-signed) – set tls.rejectUnauthorized false only for test servers.')
    expect(tls("Hostname/IP does not match certificate's altnames: Host: x. is not in the cert's altnames")).toMatch(/\(it is issued for another name\)/)
    expect(tls('unable to verify the first certificate')).toMatch(/\(its issuer is unknown\)/)
    expect(tls('certificate has expired')).toMatch(/\(it has expired\)/)
    expect(classifyError({ code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'x' }, smart('starttls')).enhanced).toBe('4.7.5')
  })

  it('speaks of the smart host, not the recipient\'s server, in reply sentences and connect failures', () => {
    expect(classifyReply({ code: 550, text: '550 5.1.1 no such user' }, smart('rcpt')).human).toBe('The smart host smtp.relay.test says the mailbox does not exist.')
    expect(classifyError({ code: 'ECONNECTION', originalCode: 'ECONNREFUSED' }, smart('connect'))).toMatchObject({ unreachable: true, human: 'The smart host smtp.relay.test refused the connection.' })
  })

  it('treats a smart host name that does not resolve as unreachable, so the next hop may try', () => {
    expect(classifyError(new DnsLookupError('nxdomain', 'smtp.relay.test', 'A/AAAA', 'ENOTFOUND'), smart('connect'))).toEqual({ status: 'deferred', enhanced: '4.4.3', unreachable: true, human: 'The smart host smtp.relay.test cannot be found in DNS; check the route\'s host.' })
    expect(classifyError(new DnsLookupError('temporary', 'smtp.relay.test', 'A/AAAA', 'ETIMEOUT'), smart('connect')).human).toBe('The smart host smtp.relay.test could not be looked up in DNS; this may be temporary.')
  })

  it('leaves MX sessions exactly as before (no smartHost in the context)', () => {
    const error = { code: 'EAUTH', responseCode: 535, response: '535 5.7.8 bad', command: 'AUTH PLAIN' }
    expect(classifyError(error, { domain: 'example.test', host: 'mx.example.test', phase: 'auth' }).human).toBe('The server for example.test says the login was refused; this is temporary.')
  })
})

describe('local mailbox classification', () => {
  it('fails an invalid mailbox name, defers a full disk and other I/O errors', () => {
    expect(classifyMailboxError(new AppError('INVALID_ADDRESS', '"a/b" is not a valid local mailbox name: it contains a path separator'), 'a/b@localhost'))
      .toMatchObject({ status: 'failed', enhanced: '5.1.3' })
    expect(classifyMailboxError(new AppError('SPOOL_IO', 'could not create x: ENOSPC', { errno: 'ENOSPC' }), 'bob@localhost'))
      .toEqual({ status: 'deferred', enhanced: '4.3.1', unreachable: false, human: 'The disk holding the local mailbox of bob@localhost is full; this is temporary.' })
    expect(classifyMailboxError(new AppError('SPOOL_IO', 'could not create x: EACCES', { errno: 'EACCES' }), 'bob@localhost'))
      .toMatchObject({ status: 'deferred', enhanced: '4.3.0', human: 'The local mailbox of bob@localhost could not be written (could not create x: EACCES); this is temporary.' })
  })
})
