// Direct MX delivery (RFC 5321 §5.1, RFC 7505) against a real Postfix MX on 127.0.0.2:25, found through dnsmasq, port 25.
//
// Zone: remote.test → mx.remote.test (127.0.0.2); backup.test → down.backup.test (127.0.0.9, nothing listens) then
// mx2.backup.test (127.0.0.2); amx.test has only an A record (implicit MX); nullmx.test has the null MX; unknown .test
// names are NXDOMAIN; noaddr.test exists without MX or address; servfail.test is forwarded to a responder that answers
// SERVFAIL; timeout.test to a port where nothing answers.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDirectDeliverer } from '../../../src/main/delivery/direct'
import type { Deliverer, DeliveryRequest } from '../../../src/main/delivery/types'
import { createResolver } from '../../../src/main/dns/resolver'
import { memoryLogger } from '../../../src/main/log/logger'
import { RCODE, startDnsResponder, type Responder } from '../../unit/dns/dns-responder'
import { stopAll } from '../../support/cleanup'
import { standardZone, startDns, type DnsInstance } from '../../support/dnsmasq'
import { freePort } from '../../support/ports'
import { startPostfix, type PostfixInstance } from '../../support/postfix'
import { describeWithServers } from '../../support/requirements'

const TIMEOUTS = { connectMs: 3_000, greetingMs: 5_000, socketMs: 10_000, dataMs: 10_000 }
const MX = 'mx.remote.test[127.0.0.2]:25'

function request(recipients: string[], subject = 'routing test'): DeliveryRequest {
  const data = Buffer.from(`From: alice@mailroom.test\r\nTo: ${recipients.join(', ')}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W+/g, '-')}@mailroom.test>\r\n\r\nHello, MX.\r\n`)
  return { queueId: 'MX1', sender: 'alice@mailroom.test', recipients, data, queuedAt: Date.now() }
}

describeWithServers('direct MX delivery to a real Postfix via dnsmasq', ['root', 'postfix', 'dnsmasq'], () => {
  let dns: DnsInstance
  let postfix: PostfixInstance
  let servfail: Responder
  let deliverer: Deliverer
  let log: ReturnType<typeof memoryLogger>

  beforeAll(async () => {
    servfail = await startDnsResponder(() => ({ rcode: RCODE.SERVFAIL }))
    const dead = await freePort('127.0.0.1')
    dns = await startDns({
      records: [
        ...standardZone('127.0.0.2'),
        'txt-record=noaddr.test,"v=spf1 -all"',
        `server=/servfail.test/${servfail.server.replace(':', '#')}`,
        `server=/timeout.test/127.0.0.1#${dead}`
      ]
    })
    postfix = await startPostfix({ address: '127.0.0.2', domains: ['remote.test', 'backup.test', 'amx.test'] })
  })
  afterAll(async () => {
    await deliverer?.close()
    await servfail?.close()
    await stopAll()
  })
  /** A new deliverer (and so an empty connection pool), as a later queue run would have after the idle time. */
  async function freshDeliverer(): Promise<void> {
    await deliverer?.close()
    log = memoryLogger()
    const resolver = createResolver({ servers: [dns.server], timeoutMs: 1_500, tries: 1 })
    deliverer = createDirectDeliverer({ resolver, hostname: 'client.mailroom.test', allowLoopback: true, log, timeouts: TIMEOUTS })
  }

  beforeEach(async () => {
    await deliverer?.close()
    await postfix.clearMessages()
    await postfix.setAccess({})
    await freshDeliverer()
  })

  describe('routing', () => {
    it('delivers by MX on port 25, relay in name[ip]:port form and the server’s queue id in the reply', async () => {
      const [outcome] = await deliverer.deliver(request(['bob@remote.test']))
      expect(outcome).toMatchObject({ status: 'sent', reply: { code: 250, enhanced: '2.0.0', host: MX } })
      expect(outcome?.reply.text).toMatch(/^250 2\.0\.0 Ok: queued as \w+$/)
      const [stored] = await postfix.waitForMessages(1)
      expect(stored?.raw).toMatch(/^Delivered-To: bob@remote\.test$/m)
    })

    it('falls back to the backup MX when the first MX (127.0.0.9) refuses the connection', async () => {
      const [outcome] = await deliverer.deliver(request(['bob@backup.test']))
      expect(outcome).toMatchObject({ status: 'sent', reply: { host: 'mx2.backup.test[127.0.0.2]:25' } })
      expect(log.lines.join('\n')).toContain('connect to down.backup.test[127.0.0.9]:25: connection refused')
      await postfix.waitForMessages(1)
    })

    it('uses the domain’s own address when it has no MX (implicit MX)', async () => {
      const [outcome] = await deliverer.deliver(request(['bob@amx.test']))
      expect(outcome).toMatchObject({ status: 'sent', reply: { host: 'amx.test[127.0.0.2]:25' } })
      await postfix.waitForMessages(1)
    })

    it('fails a null MX domain with 5.1.10 without connecting anywhere', async () => {
      const before = (await postfix.maillog()).length
      const [outcome] = await deliverer.deliver(request(['bob@nullmx.test']))
      expect(outcome).toMatchObject({ status: 'failed', reply: { enhanced: '5.1.10', human: 'nullmx.test does not accept mail (null MX).' } })
      expect(outcome?.reply.host).toBeUndefined() // maillog: relay=none
      expect((await postfix.maillog()).slice(before)).not.toContain('connect from')
    })

    it('fails a domain that does not exist (NXDOMAIN) with 5.1.2', async () => {
      const [outcome] = await deliverer.deliver(request(['bob@nowhere.test']))
      expect(outcome).toMatchObject({ status: 'failed', reply: { enhanced: '5.1.2', human: 'The domain nowhere.test does not exist.' } })
      expect(outcome?.reply.text).toBe('Name service error for name=nowhere.test type=MX: Host not found')
    })

    it('fails a domain with neither MX nor address with 5.4.4', async () => {
      const [outcome] = await deliverer.deliver(request(['bob@noaddr.test']))
      expect(outcome).toMatchObject({ status: 'failed', reply: { enhanced: '5.4.4' } })
    })

    it('defers on SERVFAIL (4.4.3), not counting it as offline', async () => {
      const [outcome] = await deliverer.deliver(request(['bob@servfail.test']))
      expect(outcome).toMatchObject({ status: 'deferred', reply: { enhanced: '4.4.3' } })
      expect(outcome?.reply.text).toContain('type=MX: Server failure (SERVFAIL)')
      expect(outcome?.unreachable).toBeUndefined()
    })

    it('defers when the name servers do not answer (timeout), as unreachable', async () => {
      const [outcome] = await deliverer.deliver(request(['bob@timeout.test']))
      expect(outcome).toMatchObject({ status: 'deferred', reply: { enhanced: '4.4.3' }, unreachable: true })
    })
  })

  describe('per-recipient replies', () => {
    it('keeps a 550 for one recipient and delivers the other in the same transaction', async () => {
      await postfix.setAccess({ 'gone@remote.test': '550 5.1.1 no such user' })
      const [gone, bob] = await deliverer.deliver(request(['gone@remote.test', 'bob@remote.test'], 'per recipient'))
      expect(gone).toMatchObject({ status: 'failed', reply: { code: 550, enhanced: '5.1.1', host: MX, human: 'The server for remote.test says the mailbox does not exist.' } })
      expect(bob).toMatchObject({ status: 'sent', reply: { host: MX } })
      const stored = await postfix.waitForMessages(1)
      expect(stored).toHaveLength(1)
      expect(stored[0]?.raw).toMatch(/^Delivered-To: bob@remote\.test$/m)
    })

    it('defers a 450 and delivers on the retry once the server takes it', async () => {
      await postfix.setAccess({ 'later@remote.test': '450 4.2.0 try again later' })
      const [first] = await deliverer.deliver(request(['later@remote.test'], 'later'))
      expect(first).toMatchObject({ status: 'deferred', reply: { code: 450, enhanced: '4.2.0' } })
      await postfix.setAccess({})
      await freshDeliverer() // the retry comes minutes later: the pooled session (to an smtpd with the old map) is gone
      const [retry] = await deliverer.deliver(request(['later@remote.test'], 'later'))
      expect(retry?.status).toBe('sent')
      await postfix.waitForMessages(1)
    })
  })

  describe('connections and extensions', () => {
    it('carries consecutive messages over one connection to the MX (Postfix logs one connect)', async () => {
      const before = (await postfix.maillog()).length
      for (let i = 0; i < 3; i++) expect((await deliverer.deliver(request(['bob@remote.test'], `pooled ${i}`)))[0]?.status).toBe('sent')
      await postfix.waitForMessages(3)
      const since = (await postfix.maillog()).slice(before)
      expect(since.match(/smtpd\[\d+\]: connect from/g)).toHaveLength(1)
    })

    it('sends 8-bit mail with BODY=8BITMIME, which Postfix offers', async () => {
      const req = request(['bob@remote.test'], 'eight bit')
      req.data = Buffer.from('From: alice@mailroom.test\r\nTo: bob@remote.test\r\nSubject: 8bit\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße aus dem Test.\r\n')
      const [outcome] = await deliverer.deliver(req)
      expect(outcome?.status).toBe('sent')
      const [stored] = await postfix.waitForMessages(1)
      expect(Buffer.from(stored?.raw ?? '', 'utf8').toString('utf8')).toContain('Grüße aus dem Test.')
      expect(log.lines.join('\n')).toContain('> MAIL FROM:<alice@mailroom.test> BODY=8BITMIME')
    })
  })
})
