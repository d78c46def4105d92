// Direct delivery against Postfix's smtp-sink on 127.0.0.4:25 (found by MX through dnsmasq): a 4xx/5xx at each command,
// a connection dropped after the final dot (the duplicate window), connection reuse, DSN parameters as the sink saw them.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createDirectDeliverer } from '../../../src/main/delivery/direct'
import type { Deliverer, DeliveryRequest, RecipientOutcome } from '../../../src/main/delivery/types'
import { createResolver } from '../../../src/main/dns/resolver'
import { memoryLogger } from '../../../src/main/log/logger'
import { stopAll } from '../../support/cleanup'
import { startDns, type DnsInstance } from '../../support/dnsmasq'
import { describeWithServers } from '../../support/requirements'
import { startSmtpSink, type SinkInstance, type SinkOptions } from '../../support/smtp-sink'

const RELAY = 'mx.sink.test[127.0.0.4]:25'
const TIMEOUTS = { connectMs: 3_000, greetingMs: 5_000, socketMs: 5_000, dataMs: 5_000 }

function request(recipients = ['bob@sink.test'], extra: Partial<DeliveryRequest> = {}): DeliveryRequest {
  const data = Buffer.from(`From: alice@mailroom.test\r\nTo: ${recipients.join(', ')}\r\nSubject: fault test\r\nMessage-ID: <fault-1@mailroom.test>\r\n\r\nHello, sink.\r\n`)
  return { queueId: 'SINK1', sender: 'alice@mailroom.test', recipients, data, queuedAt: Date.now(), ...extra }
}

describeWithServers('direct delivery to smtp-sink faults', ['root', 'smtp-sink', 'dnsmasq'], () => {
  let dns: DnsInstance
  let sink: SinkInstance | undefined
  let deliverer: Deliverer
  let log: ReturnType<typeof memoryLogger>

  beforeAll(async () => {
    dns = await startDns({ records: ['mx-host=sink.test,mx.sink.test,10', 'host-record=mx.sink.test,127.0.0.4'] })
  })
  afterAll(() => stopAll())
  afterEach(async () => {
    await deliverer?.close()
    await sink?.stop()
    sink = undefined
  })

  async function withSink(options: SinkOptions): Promise<SinkInstance> {
    sink = await startSmtpSink({ address: '127.0.0.4', port: 25, ...options })
    log = memoryLogger()
    const resolver = createResolver({ servers: [dns.server], timeoutMs: 2_000, tries: 1 })
    deliverer = createDirectDeliverer({ resolver, hostname: 'client.mailroom.test', allowLoopback: true, log, timeouts: TIMEOUTS })
    return sink
  }

  async function deliverOne(options: SinkOptions, recipients?: string[]): Promise<RecipientOutcome> {
    await withSink(options)
    const [outcome] = await deliverer.deliver(request(recipients))
    if (outcome === undefined) throw new Error('no outcome')
    return outcome
  }

  describe('a reply at each command', () => {
    // smtp-sink's soft reject is a 450-class reply, its hard reject a 500-class one; "ehlo" refusals make nodemailer
    // fall back to HELO, so both are refused together.
    const cases: Array<[string, SinkOptions, 'deferred' | 'failed', RegExp]> = [
      ['4xx greeting', { softReject: ['connect'] }, 'deferred', /^4\./],
      ['5xx greeting (not final: says nothing about the message)', { hardReject: ['connect'] }, 'deferred', /^4\./],
      ['4xx EHLO and HELO', { softReject: ['ehlo', 'helo'] }, 'deferred', /^4\./],
      ['5xx EHLO and HELO', { hardReject: ['ehlo', 'helo'] }, 'deferred', /^4\./],
      ['4xx MAIL FROM', { softReject: ['mail'] }, 'deferred', /^4\./],
      ['5xx MAIL FROM', { hardReject: ['mail'] }, 'failed', /^5\./],
      ['4xx RCPT TO', { softReject: ['rcpt'] }, 'deferred', /^4\./],
      ['5xx RCPT TO', { hardReject: ['rcpt'] }, 'failed', /^5\./],
      ['4xx DATA', { softReject: ['data'] }, 'deferred', /^4\./],
      ['5xx DATA', { hardReject: ['data'] }, 'failed', /^5\./],
      ['4xx after the final dot', { softReject: ['.'] }, 'deferred', /^4\./],
      ['5xx after the final dot', { hardReject: ['.'] }, 'failed', /^5\./]
    ]
    for (const [what, options, status, enhanced] of cases) {
      it(`${what} → ${status}`, async () => {
        const outcome = await deliverOne(options)
        expect(outcome.status).toBe(status)
        expect(outcome.reply.enhanced).toMatch(enhanced)
        expect(outcome.reply.host).toBe(RELAY)
        expect(outcome.reply.code).toBeGreaterThanOrEqual(status === 'failed' ? 500 : 400)
        expect(outcome.reply.human).toMatch(/^The (server|mail server \S+) for sink\.test /)
        expect(outcome.unreachable).toBeUndefined()
      })
    }

    it('a connection dropped after MAIL FROM → deferred 4.4.2, nothing delivered', async () => {
      const outcome = await deliverOne({ disconnect: ['mail'], dump: true })
      expect(outcome).toMatchObject({ status: 'deferred', reply: { enhanced: '4.4.2', host: RELAY } })
      expect(outcome.reply.human).not.toContain('may have been delivered')
      expect(await sink?.dumped()).toEqual([])
    })
  })

  describe('the duplicate window', () => {
    it('defers a message whose connection drops after the final dot; the retry delivers it again (two copies)', async () => {
      const first = await deliverOne({ disconnect: ['.'], dump: true })
      expect(first).toMatchObject({ status: 'deferred', reply: { enhanced: '4.4.2', host: RELAY } })
      expect(first.reply.human).toBe('The connection to the mail server mx.sink.test for sink.test was lost after the message was sent; it may have been delivered, and trying again may deliver it twice.')
      // The sink did take the whole message before it hung up: this is the window in which a retry duplicates.
      const firstCopies = await sink?.dumpedMessages()
      expect(firstCopies).toHaveLength(1)
      await deliverer.close()
      await sink?.stop()

      const retry = await deliverOne({ dump: true })
      expect(retry.status).toBe('sent')
      const copies = await sink?.dumpedMessages()
      expect(copies).toHaveLength(1)
      // Same Message-ID on both copies: a receiver that deduplicates by Message-ID can drop the second.
      expect(firstCopies?.[0]).toContain('Message-ID: <fault-1@mailroom.test>')
      expect(copies?.[0]).toContain('Message-ID: <fault-1@mailroom.test>')
    })
  })

  describe('on a healthy sink', () => {
    it('reuses one connection for consecutive messages and passes DSN parameters the sink offers', async () => {
      await withSink({ dump: true })
      for (let i = 0; i < 3; i++) {
        const outcomes = await deliverer.deliver(request(['bob@sink.test', 'carol@sink.test'], {
          dsn: { notify: ['FAILURE'], ret: 'HDRS', envid: `env-${i}` },
          originals: { 'bob@sink.test': 'team@mailroom.test' }
        }))
        expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent'])
        expect(outcomes[0]?.reply.host).toBe(RELAY)
      }
      const dumps = await sink?.dumpedMessages() ?? []
      expect(dumps).toHaveLength(3)
      expect(dumps.map((d) => /ENVID=(env-\d)/.exec(d)?.[1]).sort()).toEqual(['env-0', 'env-1', 'env-2'])
      expect(dumps[0]).toMatch(/^X-Mail-Args: <alice@mailroom\.test> RET=HDRS ENVID=env-[012]$/m)
      expect(dumps[0]).toMatch(/^X-Rcpt-Args: <bob@sink\.test> NOTIFY=FAILURE ORCPT=rfc822;team@mailroom\.test$/m)
      expect(dumps[0]).toMatch(/^X-Rcpt-Args: <carol@sink\.test> NOTIFY=FAILURE$/m)
      // One TCP connection for the three messages: one EHLO in the dialogue, an RSET before each reuse.
      expect(log.lines.filter((l) => l.includes(`${RELAY}: > EHLO`))).toHaveLength(1)
      expect(log.lines.filter((l) => l.includes(`${RELAY}: > RSET`))).toHaveLength(2)
    })
  })
})
