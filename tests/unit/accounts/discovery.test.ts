// Discovery: RFC 2782 ordering (priority, weight, implicit TLS first), "." meaning not offered, guesses only as a fallback.
import { describe, expect, it } from 'vitest'
import { discoverServers, orderSrv } from '../../../src/main/accounts/discovery'
import { DnsLookupError, type MailResolver, type Srv } from '../../../src/main/dns/resolver'

function resolver(srv: Record<string, Srv[]>, hosts: string[] = []): MailResolver {
  return {
    resolveMx: async () => [],
    resolveAddresses: async (host) => {
      if (hosts.includes(host)) return ['192.0.2.1']
      throw new DnsLookupError('nxdomain', host, 'A/AAAA', 'ENOTFOUND')
    },
    resolveSrv: async (name) => {
      const records = srv[name]
      if (records === undefined) throw new DnsLookupError('nxdomain', name, 'SRV', 'ENOTFOUND')
      return records
    }
  }
}

const r = (name: string, priority: number, weight: number, port = 993): Srv => ({ name, port, priority, weight })

describe('SRV ordering (RFC 2782)', () => {
  it('puts lower priorities first whatever the weights', () => {
    const ordered = orderSrv([r('c', 20, 100), r('a', 0, 0), r('b', 10, 5)], () => 0.5)
    expect(ordered.map((x) => x.name)).toEqual(['a', 'b', 'c'])
  })

  it('picks within a priority by weight: a random draw in the running sum', () => {
    const records = [r('light', 10, 10), r('heavy', 10, 90)]
    expect(orderSrv(records, () => 0.05).map((x) => x.name)).toEqual(['light', 'heavy'])
    expect(orderSrv(records, () => 0.5).map((x) => x.name)).toEqual(['heavy', 'light'])
    // the heavy record goes first about 90% of the time
    let seed = 1
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647)
    let heavyFirst = 0
    for (let i = 0; i < 2000; i += 1) if (orderSrv(records, random)[0]?.name === 'heavy') heavyFirst += 1
    expect(heavyFirst / 2000).toBeGreaterThan(0.85)
    expect(heavyFirst / 2000).toBeLessThan(0.95)
  })

  it('puts implicit TLS before STARTTLS at equal priority, but never before a lower priority', () => {
    const tls = { security: 'tls' }
    const plain = { security: 'starttls' }
    const ordered = orderSrv([{ ...r('starttls-0', 0, 0, 143), service: plain }, { ...r('tls-0', 0, 0), service: tls }, { ...r('tls-5', 5, 0), service: tls }])
    expect(ordered.map((x) => x.name)).toEqual(['tls-0', 'starttls-0', 'tls-5'])
  })
})

describe('discovery', () => {
  it('reads _imaps/_imap/_submissions/_submission records of the domain', async () => {
    const result = await discoverServers('me@example.test', {
      resolver: resolver({
        '_imaps._tcp.example.test': [r('imap.example.test', 10, 0, 993)],
        '_imap._tcp.example.test': [r('imap.example.test', 20, 0, 143)],
        '_submission._tcp.example.test': [r('smtp.example.test', 0, 0, 587)]
      })
    })
    expect(result.source).toBe('srv')
    expect(result.imap).toEqual([
      { host: 'imap.example.test', port: 993, security: 'tls', source: 'srv', record: '_imaps._tcp.example.test' },
      { host: 'imap.example.test', port: 143, security: 'starttls', source: 'srv', record: '_imap._tcp.example.test' }
    ])
    expect(result.smtp).toEqual([{ host: 'smtp.example.test', port: 587, security: 'starttls', source: 'srv', record: '_submission._tcp.example.test' }])
  })

  it('treats a "." target as "not offered" and says so', async () => {
    const result = await discoverServers('me@example.test', {
      resolver: resolver({ '_imap._tcp.example.test': [{ name: '', port: 0, priority: 0, weight: 0 }], '_imaps._tcp.example.test': [r('mail.example.test', 0, 0)] })
    })
    expect(result.imap.map((c) => c.security)).toEqual(['tls'])
    expect(result.notes.join(' ')).toMatch(/does not offer imap/)
  })

  it('falls back to common names that exist, marked as guesses to confirm', async () => {
    const result = await discoverServers('me@plain.test', { resolver: resolver({}, ['mail.plain.test']) })
    expect(result.source).toBe('guess')
    expect(result.imap).toEqual([{ host: 'mail.plain.test', port: 993, security: 'tls', source: 'guess' }])
    expect(result.smtp.map((c) => `${c.host}:${c.port}`)).toEqual(['mail.plain.test:465', 'mail.plain.test:587'])
    expect(result.notes.join(' ')).toMatch(/no SRV records.*Check them/)
  })

  it('asks for manual settings when nothing is found, and reports lookups that failed', async () => {
    const failing: MailResolver = { ...resolver({}), resolveSrv: async (name) => { throw new DnsLookupError('temporary', name, 'SRV', 'ETIMEOUT') } }
    const result = await discoverServers('me@nowhere.test', { resolver: failing })
    expect(result).toMatchObject({ source: 'none', imap: [], smtp: [] })
    expect(result.notes.join(' ')).toMatch(/could not be looked up.*timeout/)
    expect(result.notes.at(-1)).toMatch(/enter the server names/)
  })
})
