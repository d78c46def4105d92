// The preflight against real servers: Postfix (with STARTTLS) on 127.0.0.2:25 as the MX and smart host, dnsmasq with MX,
// PTR and SPF (TXT) records, and the `mailroom check-route` command through bin/mailroom (build first).
//
// Connections from this machine to 127.0.0.2 come from 127.0.0.1: that is the address the PTR and SPF records describe.
// dns.allowLoopback makes the preflight treat it like a public address. The zone:
//   good.test      MX mx.remote.test (Postfix), SPF "ip4:127.0.0.1 -all"     → everything ok
//   spffail.test   MX mx.remote.test, SPF "ip4:192.0.2.1 -all"                 → SPF fail
//   nospf.test     MX mx.remote.test, no TXT                                   → SPF warn
//   blocked.test   MX down.blocked.test at 127.0.0.9, where nothing listens    → port 25 blocked
//   1.0.0.127.in-addr.arpa PTR client.mailroom.test, which has A 127.0.0.1 (a second dnsmasq has no PTR at all).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/main/config/load'
import { createResolver } from '../../../src/main/dns/resolver'
import { memoryLogger } from '../../../src/main/log/logger'
import { createRouteChecker } from '../../../src/main/preflight/checker'
import type { RouteCheckReport } from '../../../src/shared/contract'
import { stopAll } from '../../support/cleanup'
import { startDns, type DnsInstance } from '../../support/dnsmasq'
import { makeHome, removeHome, requireBuild, runCli } from '../../support/mailroom'
import { startPostfix } from '../../support/postfix'
import { describeWithServers } from '../../support/requirements'

function zone(withPtr: boolean): string[] {
  return [
    'mx-host=remote.test,mx.remote.test,10',
    'host-record=mx.remote.test,127.0.0.2',
    'mx-host=good.test,mx.remote.test,10',
    'txt-record=good.test,"v=spf1 ip4:127.0.0.1 -all"',
    'mx-host=spffail.test,mx.remote.test,10',
    'txt-record=spffail.test,"v=spf1 ip4:192.0.2.1 -all"',
    'mx-host=nospf.test,mx.remote.test,10',
    'mx-host=blocked.test,down.blocked.test,10',
    'host-record=down.blocked.test,127.0.0.9',
    'host-record=relay.test,127.0.0.2',
    'address=/client.mailroom.test/127.0.0.1',
    // Reverse names come only from this file (no upstream): without the ptr-record the answer is NXDOMAIN.
    'local=/127.in-addr.arpa/',
    ...(withPtr ? ['ptr-record=1.0.0.127.in-addr.arpa,client.mailroom.test'] : [])
  ]
}

const statusOf = (report: RouteCheckReport): Record<string, string> => Object.fromEntries(report.checks.map((c) => [c.id, c.status]))
const detailOf = (report: RouteCheckReport, id: string): string => report.checks.find((c) => c.id === id)?.detail ?? ''

describeWithServers('route check (preflight) against Postfix and dnsmasq', ['root', 'postfix', 'dnsmasq'], () => {
  let dns: DnsInstance
  let noPtrDns: DnsInstance

  beforeAll(async () => {
    dns = await startDns({ records: zone(true) })
    noPtrDns = await startDns({ records: zone(false) })
    await startPostfix({ address: '127.0.0.2', domains: ['remote.test'], tls: true })
  })
  afterAll(async () => {
    await stopAll()
  })

  function checker(server: string, extra: Record<string, unknown> = {}) {
    const config = parseConfig({ hostname: 'client.mailroom.test', dns: { servers: [server], allowLoopback: true }, ...extra })
    const resolver = createResolver({ servers: [server], timeoutMs: 1_500, tries: 1 })
    return createRouteChecker({ config, resolver, log: memoryLogger(), connectTimeoutMs: 2_000 })
  }

  describe('the checker', () => {
    it('ok path: port 25 reaches Postfix, the PTR is forward-confirmed, SPF passes → direct', async () => {
      const report = await checker(dns.server)('alice@good.test')
      expect(statusOf(report)).toEqual({ port25: 'ok', dns: 'ok', ptr: 'ok', spf: 'ok', smarthost: 'skipped' })
      expect(report.localAddress).toBe('127.0.0.1')
      expect(detailOf(report, 'port25')).toContain('mx.remote.test[127.0.0.2]:25 from 127.0.0.1')
      expect(detailOf(report, 'ptr')).toBe('127.0.0.1 is named client.mailroom.test, and client.mailroom.test points back to 127.0.0.1.')
      expect(detailOf(report, 'spf')).toContain("good.test's SPF record allows 127.0.0.1")
      expect(report.recommendation).toBe('direct')
    })

    it('port 25 blocked (the MX at 127.0.0.9 does not answer) → fail and smart host', async () => {
      const report = await checker(dns.server)('alice@blocked.test')
      expect(statusOf(report)).toMatchObject({ port25: 'fail', ptr: 'skipped', spf: 'skipped' })
      expect(detailOf(report, 'port25')).toContain('Your network blocks outgoing port 25')
      expect(detailOf(report, 'port25')).toContain('down.blocked.test[127.0.0.9]:25: connection refused')
      expect(report.recommendation).toBe('smarthost')
    })

    it('SPF that lists another address → fail; no SPF record → warn', async () => {
      const fail = await checker(dns.server)('alice@spffail.test')
      expect(statusOf(fail).spf).toBe('fail')
      expect(detailOf(fail, 'spf')).toContain("spffail.test's SPF record does not allow 127.0.0.1 to send its mail")
      expect(fail.recommendation).toBe('smarthost')
      const none = await checker(dns.server)('alice@nospf.test')
      expect(statusOf(none).spf).toBe('warn')
      expect(detailOf(none, 'spf')).toContain('nospf.test has no SPF record')
    })

    it('no PTR for the address → warn about spam', async () => {
      const report = await checker(noPtrDns.server)('alice@good.test')
      expect(statusOf(report).ptr).toBe('warn')
      expect(detailOf(report, 'ptr')).toBe('127.0.0.1 has no reverse DNS name (PTR record): receivers often put mail from addresses without matching reverse DNS in spam.')
    })

    it('smart host: Postfix answers EHLO with STARTTLS → ok; nothing on the port → fail', async () => {
      const ok = await checker(dns.server, { routes: { default: [{ type: 'smarthost', host: 'relay.test', port: 25, tls: { rejectUnauthorized: false } }] } })('alice@good.test')
      expect(statusOf(ok).smarthost).toBe('ok')
      expect(detailOf(ok, 'smarthost')).toContain('relay.test:25 answers and offers STARTTLS')
      const down = await checker(dns.server, { routes: { default: [{ type: 'smarthost', host: '127.0.0.9', port: 587 }] } })('alice@good.test')
      expect(statusOf(down).smarthost).toBe('fail')
      expect(detailOf(down, 'smarthost')).toContain('127.0.0.9:587 (route "default") could not be reached: connection refused')
    })
  })

  describe('mailroom check-route (bin/mailroom)', () => {
    let home: string
    beforeAll(() => requireBuild())
    afterAll(async () => {
      if (home !== undefined) await removeHome(home)
    })

    it('prints the table and exits 0 when direct delivery should work', async () => {
      home = await makeHome({ dnsServer: dns.server, config: { hostname: 'client.mailroom.test' } })
      const result = await runCli(home, ['check-route', '--from', 'alice@good.test'])
      expect(result.stderr).toBe('')
      expect(result.stdout).toMatch(/^✓ Outgoing port 25 /m)
      expect(result.stdout).toMatch(/^✓ Reverse DNS \(PTR\) /m)
      expect(result.stdout).toContain('Recommendation: deliver directly')
      expect(result.code).toBe(0)
    })

    it('exits 69 with ✗ when port 25 is blocked, and --json gives the report', async () => {
      const result = await runCli(home, ['check-route', '--from', 'alice@blocked.test'])
      expect(result.stdout).toMatch(/^✗ Outgoing port 25 +Your network blocks outgoing port 25/m)
      expect(result.code).toBe(69)
      const json = await runCli(home, ['check-route', '--from', 'alice@spffail.test', '--json'])
      expect(json.code).toBe(69)
      expect(statusOf(JSON.parse(json.stdout) as RouteCheckReport)).toMatchObject({ port25: 'ok', spf: 'fail' })
    })

    it('exits 78 on an invalid config.json and 64 on a bad --from, saying why', async () => {
      const bad = await makeHome({ config: { routes: { work: [{ type: 'direct' }] } } })
      try {
        const result = await runCli(bad, ['check-route'])
        expect(result.code).toBe(78)
        expect(result.stderr).toContain('routes.default: missing')
      } finally {
        await removeHome(bad)
      }
      const usage = await runCli(home, ['check-route', '--from', 'not-an-address'])
      expect(usage.code).toBe(64)
      expect(usage.stderr).toContain('--from not-an-address: not a valid email address')
    })
  })
})
