// The node:dns based MailResolver against a tiny in-test UDP DNS server: answers, NXDOMAIN/NODATA, SERVFAIL, silence.
import { createSocket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { createResolver, DnsLookupError, isNullMxRecord, toDnsLookupError } from '../../../src/main/dns/resolver'
import { RCODE, rr, startDnsResponder, TYPE, type Answer, type Responder } from './dns-responder'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

async function responder(answer: (name: string, type: number) => Answer): Promise<Responder> {
  const r = await startDnsResponder(answer)
  cleanups.push(() => r.close())
  return r
}

/** Short timeouts: a silent server costs about timeoutMs × tries. */
const resolverFor = (r: Responder) => createResolver({ servers: [r.server], timeoutMs: 150, tries: 1 })

async function failure(promise: Promise<unknown>): Promise<DnsLookupError> {
  const error = await promise.then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(DnsLookupError)
  return error as DnsLookupError
}

const zone = (name: string, type: number): Answer => {
  if (name === 'example.test' && type === TYPE.MX) return { rcode: RCODE.NOERROR, records: [rr.mx(20, 'MX2.Example.Test.'), rr.mx(10, 'mx1.example.test')] }
  if (name === 'nullmx.test' && type === TYPE.MX) return { rcode: RCODE.NOERROR, records: [rr.mx(0, '.')] }
  if (name === 'dual.test' && type === TYPE.A) return { rcode: RCODE.NOERROR, records: [rr.a('192.0.2.1'), rr.a('192.0.2.2')] }
  if (name === 'dual.test' && type === TYPE.AAAA) return { rcode: RCODE.NOERROR, records: [rr.aaaa('2001:db8::1')] }
  if (name === 'v4only.test' && type === TYPE.A) return { rcode: RCODE.NOERROR, records: [rr.a('192.0.2.4')] }
  if (name === 'v6only.test' && type === TYPE.AAAA) return { rcode: RCODE.NOERROR, records: [rr.aaaa('2001:db8::6')] }
  if (name === 'flaky.test') return type === TYPE.A ? { rcode: RCODE.SERVFAIL } : { rcode: RCODE.NOERROR }
  if (name.endsWith('.test') && !name.startsWith('missing')) return { rcode: RCODE.NOERROR } // exists, no such records
  return { rcode: RCODE.NXDOMAIN }
}

describe('createResolver', () => {
  it('returns MX records with lower-cased names and no trailing dot', async () => {
    const r = await responder(zone)
    const records = await resolverFor(r).resolveMx('example.test')
    expect(records.sort((a, b) => a.priority - b.priority)).toEqual([{ exchange: 'mx1.example.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }])
  })

  it('returns a null MX (exchange ".") in a form isNullMxRecord recognises', async () => {
    const r = await responder(zone)
    const records = await resolverFor(r).resolveMx('nullmx.test')
    expect(records).toHaveLength(1)
    expect(records[0] !== undefined && isNullMxRecord(records[0])).toBe(true)
  })

  it('maps NXDOMAIN to nxdomain and NOERROR without records to nodata', async () => {
    const r = await responder(zone)
    const resolver = resolverFor(r)
    expect(await failure(resolver.resolveMx('missing.test'))).toMatchObject({ kind: 'nxdomain', code: 'ENOTFOUND', hostname: 'missing.test', rrtype: 'MX' })
    expect(await failure(resolver.resolveMx('nomx.test'))).toMatchObject({ kind: 'nodata', code: 'ENODATA' })
  })

  it('maps SERVFAIL to a temporary failure', async () => {
    const r = await responder(() => ({ rcode: RCODE.SERVFAIL }))
    const error = await failure(resolverFor(r).resolveMx('example.test'))
    expect(error).toMatchObject({ kind: 'temporary', code: 'ESERVFAIL' })
    expect(error.noServer).toBe(false)
    expect(error.message).toBe('Name service error for name=example.test type=MX: Server failure (SERVFAIL)')
  })

  it('maps REFUSED to a temporary failure', async () => {
    const r = await responder(() => ({ rcode: RCODE.REFUSED }))
    expect(await failure(resolverFor(r).resolveMx('example.test'))).toMatchObject({ kind: 'temporary', code: 'EREFUSED' })
  })

  it('gives up on a server that never answers, as a temporary failure, within the injected timeout', async () => {
    const r = await responder(() => 'silent')
    const started = Date.now()
    const error = await failure(resolverFor(r).resolveMx('example.test'))
    expect(error).toMatchObject({ kind: 'temporary', code: 'ETIMEOUT' })
    expect(error.noServer).toBe(true)
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(r.queries.length).toBeGreaterThan(0)
  }, 10_000)

  it('resolves addresses A first, then AAAA', async () => {
    const r = await responder(zone)
    const resolver = resolverFor(r)
    expect(await resolver.resolveAddresses('dual.test')).toEqual(['192.0.2.1', '192.0.2.2', '2001:db8::1'])
    expect(await resolver.resolveAddresses('v4only.test')).toEqual(['192.0.2.4']) // AAAA NODATA is fine
    expect(await resolver.resolveAddresses('v6only.test')).toEqual(['2001:db8::6'])
  })

  it('says why a host has no address: nodata, nxdomain, or temporary when either lookup failed that way', async () => {
    const r = await responder(zone)
    const resolver = resolverFor(r)
    expect(await failure(resolver.resolveAddresses('noaddress.test'))).toMatchObject({ kind: 'nodata', rrtype: 'A/AAAA' })
    expect(await failure(resolver.resolveAddresses('missing.test'))).toMatchObject({ kind: 'nxdomain', rrtype: 'A/AAAA' })
    expect(await failure(resolver.resolveAddresses('flaky.test'))).toMatchObject({ kind: 'temporary', code: 'ESERVFAIL', rrtype: 'A' })
  })

  it('treats a port where nothing listens as a temporary failure', async () => {
    const probe = createSocket('udp4')
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', () => resolve()))
    const port = probe.address().port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const resolver = createResolver({ servers: [`127.0.0.1:${port}`], timeoutMs: 150, tries: 1 })
    const error = await failure(resolver.resolveMx('example.test'))
    expect(error).toMatchObject({ kind: 'temporary', code: 'ECONNREFUSED' })
    expect(error.noServer).toBe(true)
  }, 10_000)
})

describe('toDnsLookupError', () => {
  it.each([
    ['ENOTFOUND', 'nxdomain'], ['ENODATA', 'nodata'], ['ESERVFAIL', 'temporary'], ['ETIMEOUT', 'temporary'],
    ['ECONNREFUSED', 'temporary'], ['EREFUSED', 'temporary'], ['EBADRESP', 'temporary']
  ])('%s → %s', (code, kind) => {
    expect(toDnsLookupError(Object.assign(new Error(code), { code }), 'example.test', 'MX').kind).toBe(kind)
  })

  it('treats an error without a code as temporary', () => {
    expect(toDnsLookupError(new Error('odd'), 'example.test', 'MX')).toMatchObject({ kind: 'temporary', code: undefined })
  })
})
