// The preflight's verdicts with injected DNS, connections and SMTP: what a person sees for each kind of network.
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/main/config/load'
import { memoryLogger } from '../../../src/main/log/logger'
import { createRouteChecker } from '../../../src/main/preflight/checker'
import { PORT25_BLOCKED } from '../../../src/main/preflight/port25'
import { fakeResolver } from '../delivery/fake-resolver'
import { fakeConnector, fakeDns, fakeEhlo } from './fakes'

const PUBLIC = '203.0.113.5'
const SPF_OK = 'v=spf1 ip4:203.0.113.0/24 -all'

function setup(overrides: {
  config?: Record<string, unknown>
  mx?: Parameters<typeof fakeResolver>[0]
  addresses?: Parameters<typeof fakeResolver>[1]
  open?: Record<string, string>
  ptr?: Record<string, string[] | string>
  txt?: Record<string, string[] | string>
  ehlo?: string[] | Error
} = {}) {
  const config = parseConfig({ hostname: 'mail.example.com', ...overrides.config })
  const resolver = fakeResolver(
    overrides.mx ?? { 'example.com': [{ exchange: 'mx.example.com', priority: 10 }] },
    overrides.addresses ?? { 'mx.example.com': ['198.51.100.25'], 'mail.example.com': [PUBLIC], 'gmail-smtp-in.l.google.com': ['192.0.2.99'] }
  )
  const connect = fakeConnector(overrides.open ?? { '198.51.100.25': PUBLIC, '192.0.2.99': PUBLIC })
  const dns = fakeDns(overrides.ptr ?? { [PUBLIC]: ['mail.example.com'] }, overrides.txt ?? { 'example.com': [SPF_OK] })
  const ehloProbe = fakeEhlo(overrides.ehlo ?? ['PIPELINING', 'STARTTLS', 'AUTH PLAIN'])
  const log = memoryLogger()
  const check = createRouteChecker({ config, resolver, log, dns, connect, ehloProbe })
  return { check, connect, dns, ehloProbe, log }
}

function byId(report: Awaited<ReturnType<ReturnType<typeof setup>['check']>>) {
  return Object.fromEntries(report.checks.map((c) => [c.id, c]))
}

describe('route check (preflight)', () => {
  it('recommends direct delivery when port 25 is open, the PTR is forward-confirmed and SPF passes', async () => {
    const { check, connect, log } = setup()
    const report = await check('alice@example.com')
    const c = byId(report)
    expect(report).toMatchObject({ sender: 'alice@example.com', localAddress: PUBLIC, recommendation: 'direct' })
    expect(c.port25).toMatchObject({ status: 'ok' })
    expect(c.port25?.detail).toContain(`mx.example.com[198.51.100.25]:25 from ${PUBLIC}`)
    expect(c.dns).toMatchObject({ status: 'ok' })
    expect(c.ptr).toMatchObject({ status: 'ok', detail: `${PUBLIC} is named mail.example.com, and mail.example.com points back to ${PUBLIC}.` })
    expect(c.spf).toMatchObject({ status: 'ok' })
    expect(c.spf?.detail).toContain(`example.com's SPF record allows ${PUBLIC}`)
    expect(c.smarthost).toMatchObject({ status: 'skipped' })
    expect(report.advice).toMatch(/^Direct delivery should work/)
    expect(connect.tried).toEqual(['198.51.100.25:25'])
    expect(log.lines.join('\n')).toContain('recommendation=direct')
  })

  it('says port 25 is blocked, in plain words, when no MX address accepts a connection, and recommends a smart host', async () => {
    const { check, connect } = setup({
      mx: { 'example.com': [{ exchange: 'mx1.example.com', priority: 10 }, { exchange: 'mx2.example.com', priority: 20 }] },
      addresses: { 'mx1.example.com': ['198.51.100.1', '198.51.100.2'], 'mx2.example.com': ['198.51.100.3', '198.51.100.4'] },
      open: {}
    })
    const report = await check('alice@example.com')
    const c = byId(report)
    expect(c.port25?.status).toBe('fail')
    expect(c.port25?.detail).toContain(PORT25_BLOCKED)
    expect(c.port25?.detail).toContain('mx1.example.com[198.51.100.1]:25: connection refused')
    expect(connect.tried).toHaveLength(3) // at most three addresses
    expect(report.localAddress).toBeNull()
    expect(c.ptr?.status).toBe('skipped')
    expect(c.spf?.status).toBe('skipped')
    expect(report.recommendation).toBe('smarthost')
    expect(report.advice).toContain('cannot open connections to other mail servers on port 25')
    expect(report.advice).toContain('"routes"')
  })

  it('tries the backup MX when the first one does not answer', async () => {
    const { check } = setup({
      mx: { 'example.com': [{ exchange: 'down.example.com', priority: 5 }, { exchange: 'mx.example.com', priority: 10 }] },
      addresses: { 'down.example.com': ['198.51.100.9'], 'mx.example.com': ['198.51.100.25'], 'mail.example.com': [PUBLIC] }
    })
    const report = await check('alice@example.com')
    expect(byId(report).port25?.status).toBe('ok')
    expect(report.recommendation).toBe('direct')
  })

  it('falls back to the probe host when the sender domain has no usable MX, and reports the DNS problem', async () => {
    const { check, connect } = setup({ mx: {}, addresses: { 'gmail-smtp-in.l.google.com': ['192.0.2.99'], 'mail.example.com': [PUBLIC] } })
    const report = await check('alice@nowhere.example')
    const c = byId(report)
    expect(connect.tried).toEqual(['192.0.2.99:25'])
    expect(c.port25?.detail).toContain('the test host gmail-smtp-in.l.google.com')
    expect(c.dns).toMatchObject({ status: 'fail' })
    expect(c.dns?.detail).toContain('The domain nowhere.example does not exist.')
    expect(report.recommendation).toBe('smarthost')
  })

  it('fails SPF with the sentence from the brief when the record does not list our address', async () => {
    const { check } = setup({ txt: { 'example.com': ['v=spf1 ip4:192.0.2.1 -all'] } })
    const report = await check('alice@example.com')
    expect(byId(report).spf).toMatchObject({ status: 'fail' })
    expect(byId(report).spf?.detail).toContain(`example.com's SPF record does not allow ${PUBLIC} to send its mail`)
    expect(report.recommendation).toBe('smarthost')
    expect(report.advice).toContain('SPF of the sender domain failed')
  })

  it('warns on SPF softfail and on a missing SPF record, and still allows direct delivery', async () => {
    const soft = await setup({ txt: { 'example.com': ['v=spf1 ~all'] } }).check('alice@example.com')
    expect(byId(soft).spf).toMatchObject({ status: 'warn' })
    expect(byId(soft).spf?.detail).toContain('soft fail')
    expect(soft.recommendation).toBe('direct')
    expect(soft.advice).toContain('may put your mail in spam')
    const none = await setup({ txt: {} }).check('alice@example.com')
    expect(byId(none).spf).toMatchObject({ status: 'warn' })
    expect(byId(none).spf?.detail).toContain('example.com has no SPF record')
  })

  it('warns when the address has no PTR, or a PTR whose name does not point back', async () => {
    const missing = await setup({ ptr: {} }).check('alice@example.com')
    expect(byId(missing).ptr).toMatchObject({ status: 'warn', detail: `${PUBLIC} has no reverse DNS name (PTR record): receivers often put mail from addresses without matching reverse DNS in spam.` })
    const mismatch = await setup({ ptr: { [PUBLIC]: ['dsl-5.isp.example'] }, addresses: { 'mx.example.com': ['198.51.100.25'], 'dsl-5.isp.example': ['203.0.113.77'] } }).check('alice@example.com')
    expect(byId(mismatch).ptr?.status).toBe('warn')
    expect(byId(mismatch).ptr?.detail).toContain('does not point back')
  })

  it('behind NAT: warns that the public address is unknown and skips SPF', async () => {
    const { check, dns } = setup({ open: { '198.51.100.25': '192.168.1.20' } })
    const report = await check('alice@example.com')
    const c = byId(report)
    expect(report.localAddress).toBe('192.168.1.20')
    expect(c.ptr?.status).toBe('warn')
    expect(c.ptr?.detail).toContain("receivers see the router's public address".replace('receivers see', 'Receivers see'))
    expect(c.spf?.status).toBe('skipped')
    expect(dns.asked).toEqual([]) // no PTR or SPF lookups for a private address
  })

  it('with dns.allowLoopback (tests), a loopback address is checked like a public one', async () => {
    const { check, dns } = setup({ config: { dns: { allowLoopback: true } }, open: { '198.51.100.25': '127.0.0.1' }, ptr: {} })
    await check('alice@example.com')
    expect(dns.asked).toContain('PTR 127.0.0.1')
  })

  it('probes the sender route’s smart host: STARTTLS offered → ok, missing → fail, unreachable → fail', async () => {
    const routes = { default: [{ type: 'direct' }, { type: 'smarthost', host: '127.0.0.3', port: 587 }] }
    const good = setup({ config: { routes } })
    const ok = await good.check('alice@example.com')
    expect(byId(ok).smarthost).toMatchObject({ status: 'ok' })
    expect(good.ehloProbe.calls[0]).toMatchObject({ host: '127.0.0.3', port: 587, implicitTls: false, hostname: 'mail.example.com' })
    const plain = await setup({ config: { routes }, ehlo: ['PIPELINING', 'AUTH PLAIN'] }).check('alice@example.com')
    expect(byId(plain).smarthost?.status).toBe('fail')
    expect(byId(plain).smarthost?.detail).toContain('does not offer STARTTLS')
    const down = await setup({ config: { routes }, ehlo: new Error('connection refused') }).check('alice@example.com')
    expect(byId(down).smarthost?.detail).toContain('could not be reached: connection refused')
    expect(down.recommendation).toBe('direct') // direct still works; the advice names the smart host problem
    expect(down.advice).toContain('Your configured smart host has a problem too')
  })

  it('uses the identity’s own route for its smart host', async () => {
    const config = {
      routes: { default: [{ type: 'direct' }], work: [{ type: 'smarthost', host: 'relay.example.com', port: 465, security: 'tls' }] },
      identities: [{ email: 'bob@example.com', route: 'work' }]
    }
    const { check, ehloProbe } = setup({ config, addresses: { 'mx.example.com': ['198.51.100.25'], 'mail.example.com': [PUBLIC], 'relay.example.com': ['198.51.100.50'] } })
    const report = await check('bob@example.com')
    expect(byId(report).smarthost).toMatchObject({ status: 'ok' })
    expect(ehloProbe.calls[0]).toMatchObject({ host: 'relay.example.com', address: '198.51.100.50', port: 465, implicitTls: true })
    expect((await check('alice@example.com')).checks.find((c) => c.id === 'smarthost')?.status).toBe('skipped')
  })
})

describe('route check when nothing can be tested', () => {
  it('says port 25 could not be tested (not that it is blocked) when no MX and no probe host can be found', async () => {
    const { check, connect } = setup({ mx: {}, addresses: {} })
    const report = await check('alice@nowhere.example')
    const port25 = report.checks.find((c) => c.id === 'port25')
    expect(port25?.status).toBe('warn')
    expect(port25?.detail).toContain('Could not test port 25')
    expect(connect.tried).toEqual([])
    expect(report.recommendation).toBe('smarthost')
    expect(report.advice).toMatch(/^Mailroom could not test whether this computer can reach other mail servers on port 25/)
  })
})
