// Smart host and route chain against real servers: Postfix relays with STARTTLS + SASL (Dovecot) to a Postfix MX; dnsmasq for DNS.
//
// World: MX Postfix on 127.0.0.2:25 (remote.test, blocked.test land in its Maildir); smart host Postfix on 127.0.0.3:587
// (STARTTLS, AUTH via Dovecot only after TLS, relays for authenticated clients to [127.0.0.2]:25); a second smart host
// on 127.0.0.5:587 without STARTTLS (AUTH offered in plaintext); an implicit-TLS smart host on 127.0.0.3:465;
// blocked.test's only MX is 127.0.0.9, where nothing listens on port 25 ("port 25 blocked").
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import { parseConfig } from '../../../src/main/config/load'
import type { Config } from '../../../src/main/config/schema'
import { createDirectDeliverer } from '../../../src/main/delivery/direct'
import { createRouter } from '../../../src/main/delivery/router'
import { validateRoutes } from '../../../src/main/delivery/routes'
import type { Deliverer, DeliveryRequest } from '../../../src/main/delivery/types'
import { createResolver, type MailResolver } from '../../../src/main/dns/resolver'
import { localDomainsFrom } from '../../../src/main/local/domains'
import { memoryLogger } from '../../../src/main/log/logger'
import { stopAll } from '../../support/cleanup'
import { startDns, standardZone, type DnsInstance } from '../../support/dnsmasq'
import { startDovecot, type DovecotInstance } from '../../support/dovecot'
import { startPostfix, type PostfixInstance } from '../../support/postfix'
import { pollUntil } from '../../support/proc'
import { describeWithServers } from '../../support/requirements'

const PASSWORD = 'Relay-Pa55-7f3c'
const SENDER = 'alice@imap.test'
const TIMEOUTS = { connectMs: 3_000, greetingMs: 5_000, socketMs: 10_000, dataMs: 10_000 }

function message(to: string, subject: string): Buffer {
  const id = subject.replace(/\W+/g, '-')
  return Buffer.from(`From: Alice <${SENDER}>\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${id}@imap.test>\r\n\r\nHello through the smart host.\r\n`)
}

function request(recipients: string[], subject: string): DeliveryRequest {
  return { queueId: 'IT1', sender: SENDER, recipients, data: message(recipients.join(', '), subject), queuedAt: Date.now() }
}

/** The lines of a Postfix log written after `before` characters. */
async function logSince(postfix: PostfixInstance, before: number): Promise<string> {
  return (await postfix.maillog()).slice(before)
}

/** Waits until the log (after `before`) matches: smtpd writes its disconnect line just after we hang up. */
async function logLine(postfix: PostfixInstance, before: number, pattern: RegExp): Promise<string> {
  return pollUntil(async () => {
    const text = await logSince(postfix, before)
    return pattern.test(text) ? text : undefined
  }, 5_000, async () => `no line matching ${pattern} in the log of ${postfix.address}:${postfix.port}:\n${await logSince(postfix, before)}`, 50)
}

describeWithServers('smart host and route chain against Postfix + Dovecot SASL', ['root', 'postfix', 'dovecot', 'dnsmasq'], () => {
  let dns: DnsInstance
  let dovecot: DovecotInstance
  let mx: PostfixInstance
  let relay: PostfixInstance
  let plainRelay: PostfixInstance
  let tlsRelay: PostfixInstance
  let resolver: MailResolver
  const deliverers: Deliverer[] = []

  beforeAll(async () => {
    dns = await startDns({ records: [...standardZone('127.0.0.2'), 'mx-host=blocked.test,mx.blocked.test,10', 'host-record=mx.blocked.test,127.0.0.9'] })
    dovecot = await startDovecot({ users: { alice: PASSWORD } })
    mx = await startPostfix({ address: '127.0.0.2', domains: ['remote.test', 'blocked.test'], access: { 'gone@remote.test': '550 5.1.1 no such user' } })
    const smartHost = { domains: ['relay.test'], sasl: { dovecotDir: dovecot.dir }, relayhost: '[127.0.0.2]:25' }
    relay = await startPostfix({ ...smartHost, address: '127.0.0.3', port: 587, tls: true, access: { 'refused@remote.test': '550 5.7.1 relay says no' } })
    plainRelay = await startPostfix({ ...smartHost, address: '127.0.0.5', port: 587, tls: false })
    tlsRelay = await startPostfix({ ...smartHost, address: '127.0.0.3', port: 465, tls: true, mainCf: { smtpd_tls_wrappermode: 'yes' } })
    resolver = createResolver({ servers: [dns.server], timeoutMs: 2_000, tries: 1 })
  })
  afterAll(async () => {
    await Promise.all(deliverers.map((d) => d.close()))
    await stopAll()
  })
  beforeEach(async () => {
    await mx.clearMessages()
  })

  /** A router with the given routes (validated like at start-up), real direct delivery and real smart hosts. */
  function router(routes: Record<string, unknown>) {
    const config: Config = parseConfig({ hostname: 'desk.mailroom.test', dns: { servers: [dns.server], allowLoopback: true }, routes, identities: [{ email: SENDER }] })
    validateRoutes(config)
    const log = memoryLogger()
    const direct = createDirectDeliverer({ resolver, hostname: config.hostname, allowLoopback: true, log, timeouts: TIMEOUTS })
    const r = createRouter({ config, localDomains: localDomainsFrom([config.hostname]), mailRoot: '/nonexistent', direct, resolver, log, timeouts: TIMEOUTS })
    deliverers.push(r)
    return { r, log }
  }

  const smartHostHop = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    type: 'smarthost', host: '127.0.0.3', port: 587, auth: { user: 'alice', password: PASSWORD }, tls: { rejectUnauthorized: false }, ...extra
  })

  it('relays through the smart host with STARTTLS and AUTH PLAIN checked by Dovecot; the message arrives', async () => {
    const before = (await relay.maillog()).length
    const { r, log } = router({ default: [smartHostHop()] })
    const outcomes = await r.deliver(request(['bob@remote.test', 'carol@remote.test'], 'smart host starttls'))
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent'])
    expect(outcomes[0]?.reply.host).toBe('127.0.0.3[127.0.0.3]:587')
    expect(outcomes[0]?.reply.text).toMatch(/^250 2\.0\.0 Ok: queued as /)
    const delivered = await mx.waitForMessages(2)
    expect(delivered[0]?.raw).toContain('Subject: smart host starttls')
    expect(delivered.map((m) => /^Delivered-To: (.*)$/m.exec(m.raw)?.[1]).sort()).toEqual(['bob@remote.test', 'carol@remote.test'])
    // The smart host saw one TLS session with one login and one transaction for both recipients.
    const session = await logLine(relay, before, /disconnect from/)
    expect(session).toMatch(/sasl_method=PLAIN, sasl_username=alice/)
    expect(session).toMatch(/ehlo=2 starttls=1 auth=1 mail=1 rcpt=2 data=1/)
    // Debug-level logging of the whole dialogue never contains the password.
    expect(log.lines.some((l) => l.startsWith('debug smtp:') && l.includes('AUTH PLAIN'))).toBe(true)
    expect(log.lines.join('\n')).not.toContain(PASSWORD)
    expect(log.lines.join('\n')).not.toContain(Buffer.from(`\0alice\0${PASSWORD}`).toString('base64'))
  })

  it('keeps the smart host\'s own per-recipient refusal: one recipient fails, the other is relayed', async () => {
    const { r } = router({ default: [smartHostHop()] })
    const outcomes = await r.deliver(request(['refused@remote.test', 'frank@remote.test'], 'per recipient at the smart host'))
    expect(outcomes.map((o) => [o.recipient, o.status, o.reply.enhanced])).toEqual([['refused@remote.test', 'failed', '5.7.1'], ['frank@remote.test', 'sent', '2.0.0']])
    expect(outcomes[0]?.reply.text).toMatch(/^550 5\.7\.1 <refused@remote\.test>: Recipient address rejected: relay says no/)
    expect(outcomes[0]?.reply.human).toBe('The smart host 127.0.0.3 says the message is refused by policy.')
    const [delivered] = await mx.waitForMessages(1)
    expect(delivered?.raw).toMatch(/^Delivered-To: frank@remote\.test$/m)
  })

  it('defers with a clear reason when the smart host refuses the password', async () => {
    const before = (await relay.maillog()).length
    const { r, log } = router({ default: [smartHostHop({ auth: { user: 'alice', password: 'not-the-password' } })] })
    const [outcome] = await r.deliver(request(['bob@remote.test'], 'wrong password'))
    expect(outcome?.status).toBe('deferred')
    expect(outcome?.unreachable).toBeUndefined()
    expect(outcome?.reply.code).toBe(535)
    expect(outcome?.reply.enhanced).toBe('4.7.8')
    expect(outcome?.reply.text).toMatch(/^535 5\.7\.8 Error: authentication failed/)
    expect(outcome?.reply.human).toBe('The smart host 127.0.0.3 refused the login for alice: check the password.')
    expect(await logLine(relay, before, /disconnect from/)).toMatch(/SASL PLAIN authentication failed/)
    expect(log.lines.join('\n')).not.toContain('not-the-password')
    expect(await mx.messages()).toEqual([])
  })

  it('sends no AUTH and no mail to a smart host that does not offer STARTTLS, and says why', async () => {
    const before = (await plainRelay.maillog()).length
    const { r } = router({ default: [smartHostHop({ host: '127.0.0.5' })] })
    const [outcome] = await r.deliver(request(['bob@remote.test'], 'no starttls'))
    expect(outcome?.status).toBe('deferred')
    expect(outcome?.reply.enhanced).toBe('4.7.10')
    expect(outcome?.reply.human).toBe('The smart host 127.0.0.5 does not offer encryption (STARTTLS), which this route requires; nothing was sent, not even the login.')
    // Postfix counts every command of the session on its disconnect line: no AUTH, no MAIL.
    const session = await logLine(plainRelay, before, /disconnect from/)
    const disconnect = /disconnect from \S+ (.*)$/m.exec(session)?.[1]
    expect(disconnect).toBe('ehlo=1 starttls=0/1 commands=1/2')
    expect(session).not.toMatch(/sasl_method|authentication failed/)
    expect(await mx.messages()).toEqual([])
  })

  it('refuses the smart host\'s self-signed certificate unless the route allows it, before any login', async () => {
    const before = (await relay.maillog()).length
    const { r } = router({ default: [smartHostHop({ tls: undefined })] })
    const [outcome] = await r.deliver(request(['bob@remote.test'], 'certificate check'))
    expect(outcome?.status).toBe('deferred')
    expect(outcome?.reply.enhanced).toBe('4.7.5')
    expect(outcome?.reply.human).toBe('The certificate of 127.0.0.3 is not trusted (self-signed) – set tls.rejectUnauthorized false only for test servers.')
    expect(await logLine(relay, before, /disconnect from/)).not.toMatch(/sasl_method/)
    expect(await mx.messages()).toEqual([])
  })

  it('relays over implicit TLS (security "tls", port 465, smtpd_tls_wrappermode)', async () => {
    const before = (await tlsRelay.maillog()).length
    const { r } = router({ default: [smartHostHop({ port: 465, security: 'tls' })] })
    const [outcome] = await r.deliver(request(['bob@remote.test'], 'implicit tls'))
    expect(outcome?.status).toBe('sent')
    expect(outcome?.reply.host).toBe('127.0.0.3[127.0.0.3]:465')
    const [delivered] = await mx.waitForMessages(1)
    expect(delivered?.raw).toContain('Subject: implicit tls')
    const session = await logLine(tlsRelay, before, /disconnect from/)
    expect(session).toMatch(/sasl_method=PLAIN, sasl_username=alice/)
    expect(session).not.toMatch(/starttls=/) // encrypted from the first byte
  })

  it('route chain: direct to an MX whose port 25 is closed falls through to the smart host', async () => {
    const before = (await relay.maillog()).length
    const { r, log } = router({ default: [{ type: 'direct' }, smartHostHop({ host: 'relay.test' })] })
    const [outcome] = await r.deliver(request(['dave@blocked.test'], 'fallback to smart host'))
    expect(outcome?.status).toBe('sent')
    expect(outcome?.reply.host).toBe('relay.test[127.0.0.3]:587')
    const [delivered] = await mx.waitForMessages(1)
    expect(delivered?.raw).toMatch(/^Delivered-To: dave@blocked\.test$/m)
    expect(delivered?.raw).toMatch(/Received: from mx\.relay\.test/) // it came through the smart host
    expect(log.lines).toContain('info route: IT1: route default: direct could not reach dave@blocked.test; trying smart host relay.test:587')
    expect(log.lines.some((l) => /connect to mx\.blocked\.test\[127\.0\.0\.9\]:25: .*refused/.test(l))).toBe(true)
    expect(await logLine(relay, before, /disconnect from/)).toMatch(/sasl_username=alice/)
  })

  it('route chain: a real 550 from the first hop stands; the smart host is not tried', async () => {
    const before = (await relay.maillog()).length
    const { r } = router({ default: [{ type: 'direct' }, smartHostHop()] })
    const outcomes = await r.deliver(request(['gone@remote.test', 'erin@remote.test'], 'no fallback after 550'))
    expect(outcomes.map((o) => [o.recipient, o.status, o.reply.enhanced, o.reply.host])).toEqual([
      ['gone@remote.test', 'failed', '5.1.1', 'mx.remote.test[127.0.0.2]:25'],
      ['erin@remote.test', 'sent', '2.0.0', 'mx.remote.test[127.0.0.2]:25']
    ])
    expect(await logSince(relay, before)).not.toMatch(/\]: connect from/)
    const [delivered] = await mx.waitForMessages(1)
    expect(delivered?.raw).toMatch(/^Delivered-To: erin@remote\.test$/m)
  })

  it('route chain: when no hop can be reached, the outcome says what each hop found', async () => {
    const { r } = router({ default: [{ type: 'direct' }, smartHostHop({ host: '127.0.0.8' })] })
    const [outcome] = await r.deliver(request(['dave@blocked.test'], 'nothing reachable'))
    expect(outcome?.status).toBe('deferred')
    expect(outcome?.unreachable).toBe(true)
    expect(outcome?.reply.human).toMatch(/^No hop of route default could be reached \(direct: None of the mail servers for blocked\.test could be reached \(mx\.blocked\.test\[127\.0\.0\.9\]:25: connection refused\); smart host 127\.0\.0\.8:587: The smart host 127\.0\.0\.8 could not be reached \(127\.0\.0\.8\[127\.0\.0\.8\]:587: connection refused\)\)\.$/)
  })
})
