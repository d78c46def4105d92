// Routing for direct delivery (RFC 5321 §5.1, RFC 7505) with a fake resolver: order, implicit MX, null MX, failures.
import { describe, expect, it } from 'vitest'
import { isUnroutableAddress, orderAddresses, orderMx, planRoute, type Route } from '../../../src/main/delivery/mx'
import { fakeResolver } from './fake-resolver'

const open = { allowLoopback: false, random: () => 0 }

function hostsOf(route: Route): Array<[string, number, string[]]> {
  if (route.kind !== 'hosts') throw new Error(`expected hosts, got ${route.human}`)
  return route.hosts.map((h) => [h.name, h.preference, h.addresses])
}

describe('planRoute', () => {
  it('orders MX hosts by preference, each with its A then AAAA addresses', async () => {
    const resolver = fakeResolver(
      { 'example.com': [{ exchange: 'mx3.example.com', priority: 30 }, { exchange: 'mx1.example.com', priority: 10 }, { exchange: 'mx2.example.com', priority: 20 }] },
      { 'mx1.example.com': ['192.0.2.1', '2001:db8::1'], 'mx2.example.com': ['192.0.2.2'], 'mx3.example.com': ['2001:db8::3'] })
    expect(hostsOf(await planRoute('example.com', resolver, open))).toEqual([
      ['mx1.example.com', 10, ['192.0.2.1', '2001:db8::1']],
      ['mx2.example.com', 20, ['192.0.2.2']],
      ['mx3.example.com', 30, ['2001:db8::3']]
    ])
  })

  it('shuffles hosts of equal preference with the injected random, and only those', async () => {
    const resolver = fakeResolver(
      { 'example.com': [{ exchange: 'a.example.com', priority: 10 }, { exchange: 'b.example.com', priority: 10 }, { exchange: 'c.example.com', priority: 10 }, { exchange: 'z.example.com', priority: 5 }] },
      { 'a.example.com': ['192.0.2.1'], 'b.example.com': ['192.0.2.2'], 'c.example.com': ['192.0.2.3'], 'z.example.com': ['192.0.2.26'] })
    const names = async (random: () => number): Promise<string[]> =>
      hostsOf(await planRoute('example.com', resolver, { allowLoopback: false, random })).map(([name]) => name)
    // Fisher–Yates from the end: random 0 swaps each with the first, 0.99 leaves the order.
    expect(await names(() => 0)).toEqual(['z.example.com', 'b.example.com', 'c.example.com', 'a.example.com'])
    expect(await names(() => 0.99)).toEqual(['z.example.com', 'a.example.com', 'b.example.com', 'c.example.com'])
    const seen = new Set<string>()
    for (const r of [0, 0.2, 0.4, 0.6, 0.8, 0.99]) {
      for (const r2 of [0, 0.5, 0.99]) {
        let call = 0
        seen.add((await names(() => (call++ === 0 ? r : r2))).join(','))
      }
    }
    expect(seen.size).toBeGreaterThan(3) // the ties really move
    for (const order of seen) expect(order.startsWith('z.example.com,')).toBe(true)
  })

  it('uses the domain itself as implicit MX when it has no MX records (NODATA)', async () => {
    const resolver = fakeResolver({ 'example.com': 'nodata' }, { 'example.com': ['192.0.2.7', '2001:db8::7'] })
    expect(hostsOf(await planRoute('example.com', resolver, open))).toEqual([['example.com', 0, ['192.0.2.7', '2001:db8::7']]])
  })

  it('does not fall back to the A record when the domain does not exist (NXDOMAIN is permanent)', async () => {
    const resolver = fakeResolver({}, { 'nowhere.example': ['192.0.2.9'] })
    const route = await planRoute('nowhere.example', resolver, open)
    expect(route).toMatchObject({ kind: 'failure', status: 'failed', enhanced: '5.1.2', human: 'The domain nowhere.example does not exist.', unreachable: false })
    expect(resolver.queries).toEqual(['MX nowhere.example'])
  })

  it('does not fall back to the A record on a DNS failure (SERVFAIL/timeout defers)', async () => {
    const resolver = fakeResolver({ 'example.com': 'temporary' }, { 'example.com': ['192.0.2.9'] })
    const route = await planRoute('example.com', resolver, open)
    expect(route).toMatchObject({ kind: 'failure', status: 'deferred', enhanced: '4.4.3' })
    expect(resolver.queries).toEqual(['MX example.com'])
  })

  it.each([
    ['dnsmasq / node form', ''],
    ['RFC 7505 form', '.']
  ])('fails a null MX (%s) without looking up any address', async (_name, exchange) => {
    const resolver = fakeResolver({ 'example.com': [{ exchange, priority: 0 }] }, {})
    const route = await planRoute('example.com', resolver, open)
    expect(route).toMatchObject({ kind: 'failure', status: 'failed', enhanced: '5.1.10', human: 'example.com does not accept mail (null MX).' })
    expect(resolver.queries).toEqual(['MX example.com'])
  })

  it('ignores a stray null MX beside real ones', async () => {
    const resolver = fakeResolver({ 'example.com': [{ exchange: '', priority: 0 }, { exchange: 'mx.example.com', priority: 10 }] }, { 'mx.example.com': ['192.0.2.1'] })
    expect(hostsOf(await planRoute('example.com', resolver, open))).toEqual([['mx.example.com', 10, ['192.0.2.1']]])
  })

  it('skips an MX host without addresses and says so', async () => {
    const resolver = fakeResolver(
      { 'example.com': [{ exchange: 'gone.example.com', priority: 10 }, { exchange: 'empty.example.com', priority: 15 }, { exchange: 'mx2.example.com', priority: 20 }] },
      { 'empty.example.com': 'nodata', 'mx2.example.com': ['192.0.2.2'] })
    const route = await planRoute('example.com', resolver, open)
    expect(hostsOf(route)).toEqual([['mx2.example.com', 20, ['192.0.2.2']]])
    expect(route.kind === 'hosts' && route.skipped).toEqual([
      'gone.example.com: Name service error for name=gone.example.com type=A/AAAA: Host not found',
      'empty.example.com: Name service error for name=empty.example.com type=A/AAAA: No data record of the requested type'
    ])
  })

  it('defers when no MX host resolves, saying when none of them exists', async () => {
    const missing = fakeResolver({ 'example.com': [{ exchange: 'a.example.com', priority: 10 }, { exchange: 'b.example.com', priority: 20 }] }, {})
    const route = await planRoute('example.com', missing, open)
    expect(route).toMatchObject({ kind: 'failure', status: 'deferred', enhanced: '4.4.3' })
    expect(route.kind === 'failure' && route.human).toContain('None of the mail servers named for example.com (a.example.com, b.example.com) exist in DNS')
    const flaky = fakeResolver({ 'example.com': [{ exchange: 'a.example.com', priority: 10 }, { exchange: 'b.example.com', priority: 20 }] }, { 'a.example.com': 'temporary' })
    expect(await planRoute('example.com', flaky, open)).toMatchObject({ kind: 'failure', status: 'deferred', enhanced: '4.4.3' })
  })

  it('fails a domain that exists with no MX and no address', async () => {
    const resolver = fakeResolver({ 'example.com': 'nodata' }, { 'example.com': 'nodata' })
    expect(await planRoute('example.com', resolver, open)).toMatchObject({ kind: 'failure', status: 'failed', enhanced: '5.4.4' })
  })

  it('refuses loopback and private answers unless allowed', async () => {
    const resolver = fakeResolver({ 'example.com': [{ exchange: 'mx.example.com', priority: 10 }] }, { 'mx.example.com': ['127.0.0.1', '10.1.2.3', '::1'] })
    const route = await planRoute('example.com', resolver, open)
    expect(route).toMatchObject({ kind: 'failure', status: 'failed', enhanced: '5.4.4' })
    expect(route.kind === 'failure' && route.human).toBe('MX for example.com points to a private or loopback address (127.0.0.1, 10.1.2.3, ::1).')
    expect(hostsOf(await planRoute('example.com', resolver, { allowLoopback: true, random: () => 0 }))).toEqual([['mx.example.com', 10, ['127.0.0.1', '10.1.2.3', '::1']]])
  })

  it('keeps the public addresses of a host that also has private ones', async () => {
    const resolver = fakeResolver({ 'example.com': [{ exchange: 'mx.example.com', priority: 10 }] }, { 'mx.example.com': ['192.168.1.5', '198.51.100.5', 'fe80::1', '2001:db8::5'] })
    const route = await planRoute('example.com', resolver, open)
    expect(hostsOf(route)).toEqual([['mx.example.com', 10, ['198.51.100.5', '2001:db8::5']]])
  })

  it('tries an address shared by two MX names once', async () => {
    const resolver = fakeResolver(
      { 'example.com': [{ exchange: 'a.example.com', priority: 10 }, { exchange: 'b.example.com', priority: 20 }] },
      { 'a.example.com': ['192.0.2.1'], 'b.example.com': ['192.0.2.1', '192.0.2.2'] })
    expect(hostsOf(await planRoute('example.com', resolver, open))).toEqual([['a.example.com', 10, ['192.0.2.1']], ['b.example.com', 20, ['192.0.2.2']]])
  })

  it('routes an address literal without DNS', async () => {
    const resolver = fakeResolver({}, {})
    expect(hostsOf(await planRoute('[192.0.2.4]', resolver, open))).toEqual([['[192.0.2.4]', 0, ['192.0.2.4']]])
    expect(hostsOf(await planRoute('[IPv6:2001:db8::4]', resolver, open))).toEqual([['[IPv6:2001:db8::4]', 0, ['2001:db8::4']]])
    expect(await planRoute('[127.0.0.1]', resolver, open)).toMatchObject({ kind: 'failure', enhanced: '5.4.4' })
    expect(resolver.queries).toEqual([])
  })

  it('looks up an internationalised domain in its ASCII form', async () => {
    const resolver = fakeResolver({ 'xn--bcher-kva.example': [{ exchange: 'mx.xn--bcher-kva.example', priority: 10 }] }, { 'mx.xn--bcher-kva.example': ['192.0.2.8'] })
    expect(hostsOf(await planRoute('bücher.example', resolver, open))).toEqual([['mx.xn--bcher-kva.example', 10, ['192.0.2.8']]])
  })
})

describe('isUnroutableAddress', () => {
  it.each([
    ['127.0.0.1', true], ['127.8.9.10', true], ['10.0.0.1', true], ['172.16.0.1', true], ['172.31.255.255', true],
    ['192.168.0.1', true], ['169.254.1.1', true], ['0.0.0.0', true], ['100.64.0.1', true], ['224.0.0.1', true],
    ['::1', true], ['::', true], ['fe80::1', true], ['fd00::1', true], ['fc00::1', true], ['::ffff:127.0.0.1', true], ['::ffff:10.0.0.1', true],
    ['172.32.0.1', false], ['192.0.2.1', false], ['8.8.8.8', false], ['2001:db8::1', false], ['2a00:1450::1', false], ['::ffff:8.8.8.8', false],
    ['not-an-ip', true]
  ])('%s → %s', (address, expected) => {
    expect(isUnroutableAddress(address)).toBe(expected)
  })
})

describe('orderMx', () => {
  it('keeps the best preference of a name listed twice', () => {
    expect(orderMx([{ exchange: 'a', priority: 20 }, { exchange: 'b', priority: 15 }, { exchange: 'a', priority: 10 }], () => 0))
      .toEqual([{ exchange: 'a', priority: 10 }, { exchange: 'b', priority: 15 }])
  })
})

describe('address order per MX host', () => {
  const mixed = ['2001:db8::1', '192.0.2.1', '2001:db8::2', '192.0.2.2']
  it('tries A before AAAA by default, keeping DNS order within a family', () => {
    expect(orderAddresses(mixed, 'ipv4-first')).toEqual(['192.0.2.1', '192.0.2.2', '2001:db8::1', '2001:db8::2'])
  })
  it('can prefer IPv6 or use one family only', () => {
    expect(orderAddresses(mixed, 'ipv6-first')).toEqual(['2001:db8::1', '2001:db8::2', '192.0.2.1', '192.0.2.2'])
    expect(orderAddresses(mixed, 'ipv4-only')).toEqual(['192.0.2.1', '192.0.2.2'])
    expect(orderAddresses(mixed, 'ipv6-only')).toEqual(['2001:db8::1', '2001:db8::2'])
  })
  it('plans routes with the configured order', async () => {
    const resolver = fakeResolver({ 'example.test': [{ exchange: 'mx.example.test', priority: 10 }] }, { 'mx.example.test': ['192.0.2.1', '2001:db8::1'] })
    const route = await planRoute('example.test', resolver, { allowLoopback: false, random: () => 0, addressOrder: 'ipv6-first' })
    expect(route.kind === 'hosts' ? route.hosts[0]?.addresses : route).toEqual(['2001:db8::1', '192.0.2.1'])
  })
})
