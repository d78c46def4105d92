// Discovery against a real dnsmasq: SRV records (RFC 6186/8314) in priority order, "." as "not offered", guesses and
// the manual fallback, through the same resolver the app uses (config dns.servers).
import { afterAll, beforeAll, expect, it } from 'vitest'
import { discoverServers } from '../../../src/main/accounts/discovery'
import { createResolver, type MailResolver } from '../../../src/main/dns/resolver'
import { startDns, type DnsInstance } from '../../support/dnsmasq'
import { describeWithServers } from '../../support/requirements'

describeWithServers('account discovery from DNS SRV records (dnsmasq)', ['dnsmasq'], () => {
  let dns: DnsInstance
  let resolver: MailResolver

  beforeAll(async () => {
    dns = await startDns({
      records: [
        // example.test: implicit TLS preferred (priority 0), STARTTLS as a second choice, submission on both
        'srv-host=_imaps._tcp.example.test,imap.example.test,993,0,1',
        'srv-host=_imap._tcp.example.test,imap.example.test,143,10,1',
        'srv-host=_submissions._tcp.example.test,smtp.example.test,465,5,1',
        'srv-host=_submission._tcp.example.test,smtp2.example.test,587,0,1',
        // noplain.test: STARTTLS IMAP explicitly not offered (target "."), implicit TLS offered
        'srv-host=_imap._tcp.noplain.test',
        'srv-host=_imaps._tcp.noplain.test,mail.noplain.test,993,0,0',
        // guess.test: no SRV at all, but mail.guess.test exists
        'host-record=mail.guess.test,127.0.0.1'
      ]
    })
    resolver = createResolver({ servers: [dns.server], timeoutMs: 2000, tries: 1 })
  })
  afterAll(async () => {
    await dns?.stop()
  })

  it('orders the servers by priority, whatever order DNS gives them in', async () => {
    const result = await discoverServers('me@example.test', { resolver })
    expect(result.source).toBe('srv')
    expect(result.imap.map((c) => `${c.host}:${c.port}/${c.security}`)).toEqual(['imap.example.test:993/tls', 'imap.example.test:143/starttls'])
    expect(result.smtp.map((c) => `${c.host}:${c.port}/${c.security}`)).toEqual(['smtp2.example.test:587/starttls', 'smtp.example.test:465/tls'])
    expect(result.imap[0]?.record).toBe('_imaps._tcp.example.test')
  })

  it('reads a "." target as "this service is not offered"', async () => {
    const result = await discoverServers('me@noplain.test', { resolver })
    expect(result.imap).toEqual([{ host: 'mail.noplain.test', port: 993, security: 'tls', source: 'srv', record: '_imaps._tcp.noplain.test' }])
    expect(result.notes.join(' ')).toMatch(/noplain\.test says it does not offer imap/)
  })

  it('offers names that exist as guesses when there are no SRV records, and nothing when none exist', async () => {
    const guessed = await discoverServers('me@guess.test', { resolver })
    expect(guessed.source).toBe('guess')
    expect(guessed.imap).toEqual([{ host: 'mail.guess.test', port: 993, security: 'tls', source: 'guess' }])
    const none = await discoverServers('me@nothing.test', { resolver })
    expect(none).toMatchObject({ source: 'none', imap: [], smtp: [] })
    expect(none.notes.at(-1)).toMatch(/enter the server names/)
  })
})
