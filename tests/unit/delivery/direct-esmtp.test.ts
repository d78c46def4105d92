// Direct delivery and the server's ESMTP extensions: SIZE, 8BITMIME, SMTPUTF8, DSN parameters, 452 too many recipients.
import { afterEach, describe, expect, it } from 'vitest'
import { createDirectDeliverer } from '../../../src/main/delivery/direct'
import { asciiAddress, isTooManyRecipients, messageProblem, orcptOf } from '../../../src/main/delivery/esmtp'
import type { DeliveryRequest } from '../../../src/main/delivery/types'
import { memoryLogger } from '../../../src/main/log/logger'
import { fakeResolver } from './fake-resolver'
import { startScriptedSmtp, type Script, type ScriptedServer } from './scripted-smtp'

const MESSAGE = Buffer.from('From: a@sender.test\r\nTo: b@example.test\r\nSubject: hi\r\nMessage-ID: <1@sender.test>\r\n\r\nHello.\r\n', 'utf8')
const EIGHT_BIT = Buffer.from('From: a@sender.test\r\nTo: b@example.test\r\nSubject: hi\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße.\r\n', 'utf8')
const FULL = ['PIPELINING', 'SIZE 10240000', '8BITMIME', 'SMTPUTF8', 'DSN', 'ENHANCEDSTATUSCODES']

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

async function scripted(script: Script): Promise<ScriptedServer> {
  const s = await startScriptedSmtp(script)
  cleanups.push(() => s.close())
  return s
}

function deliverer(port: number) {
  const log = memoryLogger()
  const resolver = fakeResolver(
    { 'example.test': [{ exchange: 'mx.example.test', priority: 10 }], 'xn--bcher-kva.test': [{ exchange: 'mx.example.test', priority: 10 }] },
    { 'mx.example.test': ['127.0.0.1'] })
  const d = createDirectDeliverer({ resolver, hostname: 'client.sender.test', allowLoopback: true, port, random: () => 0, log, timeouts: { connectMs: 2_000, greetingMs: 2_000, socketMs: 5_000, dataMs: 5_000 } })
  cleanups.push(() => d.close())
  return { d, log }
}

function request(recipients: string[], extra: Partial<DeliveryRequest> = {}): DeliveryRequest {
  return { queueId: 'Q1', sender: 'a@sender.test', recipients, data: MESSAGE, queuedAt: 0, ...extra }
}

describe('SIZE', () => {
  it('fails a message bigger than the server’s SIZE with 5.3.4 without sending MAIL FROM', async () => {
    const s = await scripted({ ehlo: ['PIPELINING', 'SIZE 50', '8BITMIME'] })
    const { d, log } = deliverer(s.port)
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome).toMatchObject({ status: 'failed', reply: { enhanced: '5.3.4', host: `mx.example.test[127.0.0.1]:${s.port}` } })
    expect(outcome?.reply.human).toBe(`The message is ${MESSAGE.length} bytes and the server for example.test accepts at most 50 bytes, so it was not sent; send a smaller message (for example without large attachments).`)
    expect(outcome?.reply.text).toBe(`message size ${MESSAGE.length} exceeds size limit 50 of server mx.example.test[127.0.0.1]:${s.port}`)
    expect(s.connections.flat().filter((l) => l.startsWith('MAIL'))).toEqual([])
    expect(log.lines.join('\n')).toContain('exceeds size limit 50')
  })

  it('announces the size with MAIL FROM when it fits, and treats SIZE without a number as no limit', async () => {
    const s = await scripted({ ehlo: ['SIZE', '8BITMIME'] })
    const { d } = deliverer(s.port)
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('sent')
    expect(s.messages[0]?.mail).toBe(`MAIL FROM:<a@sender.test> SIZE=${MESSAGE.length}`)
  })
})

describe('8BITMIME and SMTPUTF8', () => {
  it('sends 8-bit mail with BODY=8BITMIME to a server that offers it', async () => {
    const s = await scripted({ ehlo: FULL })
    const { d } = deliverer(s.port)
    const [outcome] = await d.deliver(request(['b@example.test'], { data: EIGHT_BIT }))
    expect(outcome?.status).toBe('sent')
    expect(s.messages[0]?.mail).toContain('BODY=8BITMIME')
    expect(s.messages[0]?.data).toContain('Grüße.')
  })

  it('refuses 8-bit mail to a server without 8BITMIME with 5.6.3 and a clear reason, sending nothing', async () => {
    const s = await scripted({ ehlo: ['PIPELINING', 'SIZE 10240000'] })
    const { d } = deliverer(s.port)
    const [outcome] = await d.deliver(request(['b@example.test'], { data: EIGHT_BIT }))
    expect(outcome).toMatchObject({ status: 'failed', reply: { enhanced: '5.6.3' } })
    expect(outcome?.reply.human).toBe('The server for example.test cannot take 8-bit mail, and this message contains 8-bit text that is not encoded for 7-bit transport; it was not sent.')
    expect(s.connections.flat().some((l) => l.startsWith('MAIL'))).toBe(false)
  })

  it('still sends 7-bit mail to a server without 8BITMIME', async () => {
    const s = await scripted({ ehlo: [] })
    const { d } = deliverer(s.port)
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('sent')
    expect(s.messages[0]?.mail).toBe('MAIL FROM:<a@sender.test>')
  })

  it('fails only the recipient with a non-ASCII local part (5.6.7) when the server lacks SMTPUTF8', async () => {
    const s = await scripted({ ehlo: ['PIPELINING', '8BITMIME'] })
    const { d } = deliverer(s.port)
    const [utf8, ascii] = await d.deliver(request(['jörg@example.test', 'b@example.test']))
    expect(utf8).toMatchObject({ recipient: 'jörg@example.test', status: 'failed', reply: { enhanced: '5.6.7' } })
    expect(utf8?.reply.human).toBe('The address jörg@example.test has non-ASCII characters before the @, and the server for example.test does not accept such addresses (no SMTPUTF8).')
    expect(ascii?.status).toBe('sent')
    expect(s.messages[0]?.rcpts).toEqual(['RCPT TO:<b@example.test>'])
  })

  it('sends a non-ASCII address with SMTPUTF8 when the server offers it', async () => {
    const s = await scripted({ ehlo: FULL })
    const { d } = deliverer(s.port)
    const [outcome] = await d.deliver(request(['jörg@example.test']))
    expect(outcome?.status).toBe('sent')
    expect(s.messages[0]?.mail).toContain('SMTPUTF8')
    expect(s.messages[0]?.rcpts).toEqual(['RCPT TO:<jörg@example.test>'])
  })

  it('fails the whole message (5.6.7) when the sender’s local part needs SMTPUTF8 and the server lacks it', async () => {
    const s = await scripted({ ehlo: ['8BITMIME'] })
    const { d } = deliverer(s.port)
    const outcomes = await d.deliver(request(['b@example.test', 'c@example.test'], { sender: 'jörg@sender.test' }))
    expect(outcomes.map((o) => [o.status, o.reply.enhanced])).toEqual([['failed', '5.6.7'], ['failed', '5.6.7']])
    expect(s.connections.flat().some((l) => l.startsWith('MAIL'))).toBe(false)
  })

  it('sends an internationalised domain as its A-label without needing SMTPUTF8, keyed by the address as given', async () => {
    const s = await scripted({ ehlo: ['8BITMIME'] })
    const { d } = deliverer(s.port)
    const [outcome] = await d.deliver(request(['b@bücher.test']))
    expect(outcome).toMatchObject({ recipient: 'b@bücher.test', status: 'sent' })
    expect(s.messages[0]?.rcpts).toEqual(['RCPT TO:<b@xn--bcher-kva.test>'])
  })
})

describe('DSN parameters (RFC 3461)', () => {
  it('passes RET, ENVID, NOTIFY and each recipient’s own ORCPT when the server offers DSN', async () => {
    const s = await scripted({ ehlo: FULL })
    const { d } = deliverer(s.port)
    const outcomes = await d.deliver(request(['b@example.test', 'c@example.test'], {
      dsn: { ret: 'HDRS', envid: 'QQ 1+2', notify: ['FAILURE', 'DELAY'] },
      originals: { 'b@example.test': 'list@sender.test', 'c@example.test': 'c@example.test' }
    }))
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent'])
    expect(s.messages[0]?.mail).toBe(`MAIL FROM:<a@sender.test> SIZE=${MESSAGE.length} RET=HDRS ENVID=QQ+201+2B2`)
    expect(s.messages[0]?.rcpts).toEqual([
      'RCPT TO:<b@example.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;list@sender.test',
      'RCPT TO:<c@example.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;c@example.test'
    ])
  })

  it('sends ORCPT alone when only originals are known, and updates it for the next message on a pooled connection', async () => {
    const s = await scripted({ ehlo: FULL })
    const { d } = deliverer(s.port)
    await d.deliver(request(['b@example.test'], { originals: { 'b@example.test': 'first@sender.test' } }))
    await d.deliver(request(['b@example.test'], { originals: { 'b@example.test': 'second@sender.test' } }))
    await d.deliver(request(['b@example.test']))
    expect(s.connections).toHaveLength(1)
    expect(s.messages.map((m) => m.rcpts[0])).toEqual([
      'RCPT TO:<b@example.test> ORCPT=rfc822;first@sender.test',
      'RCPT TO:<b@example.test> ORCPT=rfc822;second@sender.test',
      'RCPT TO:<b@example.test>'
    ])
  })

  it('sends no DSN parameters to a server that does not offer DSN', async () => {
    const s = await scripted({ ehlo: ['PIPELINING', '8BITMIME'] })
    const { d } = deliverer(s.port)
    await d.deliver(request(['b@example.test'], { dsn: { ret: 'FULL', notify: ['SUCCESS'] }, originals: { 'b@example.test': 'x@sender.test' } }))
    expect(s.messages[0]?.mail).toBe('MAIL FROM:<a@sender.test>')
    expect(s.messages[0]?.rcpts).toEqual(['RCPT TO:<b@example.test>'])
  })
})

describe('452 too many recipients', () => {
  const limit = (max: number): Script['rcpt'] => (_address, n) => (n > max ? '452 4.5.3 Error: too many recipients' : '250 2.1.5 Ok')

  it('sends the recipients refused with 452 4.5.3 in new transactions on the same connection', async () => {
    const s = await scripted({ ehlo: FULL, rcpt: limit(2) })
    const { d, log } = deliverer(s.port)
    const recipients = ['r1', 'r2', 'r3', 'r4', 'r5'].map((r) => `${r}@example.test`)
    const outcomes = await d.deliver(request(recipients))
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent'])
    expect(s.connections).toHaveLength(1)
    expect(s.messages.map((m) => m.rcpts.length)).toEqual([2, 2, 1])
    expect(log.lines.join('\n')).toContain('accepts fewer recipients per message; sending 3 more in a new transaction')
  })

  it('defers, without looping, a 452 when the server accepted nobody in the transaction', async () => {
    const s = await scripted({ ehlo: FULL, rcpt: () => '452 4.5.3 Error: too many recipients' })
    const { d } = deliverer(s.port)
    const outcomes = await d.deliver(request(['a@example.test', 'b@example.test']))
    expect(outcomes.map((o) => [o.status, o.reply.code])).toEqual([['deferred', 452], ['deferred', 452]])
    expect(s.connections.flat().filter((l) => l.startsWith('MAIL'))).toHaveLength(1)
  })

  it('recognises the reply by its code and enhanced code or words', () => {
    expect(isTooManyRecipients(452, '452 4.5.3 Error: too many recipients')).toBe(true)
    expect(isTooManyRecipients(452, '452 Too many recipients received this hour')).toBe(true)
    expect(isTooManyRecipients(452, '452 4.3.1 Insufficient system storage')).toBe(false)
    expect(isTooManyRecipients(450, '450 4.5.3 too many recipients')).toBe(false)
  })
})

describe('ESMTP helpers', () => {
  it('turns an internationalised domain into its A-label and refuses a non-ASCII local part', () => {
    expect(asciiAddress('b@bücher.test')).toBe('b@xn--bcher-kva.test')
    expect(asciiAddress('b@example.test')).toBe('b@example.test')
    expect(asciiAddress('jörg@example.test')).toBeNull()
    expect(asciiAddress('b@[127.0.0.1]')).toBe('b@[127.0.0.1]')
  })

  it('gives ORCPT only for ASCII originals', () => {
    expect(orcptOf('a@b.test')).toBe('rfc822;a@b.test')
    expect(orcptOf('jörg@b.test')).toBeNull()
    expect(orcptOf(undefined)).toBeNull()
  })

  it('finds no problem for a message that fits', () => {
    expect(messageProblem({ extensions: new Map([['SIZE', '0']]), domain: 'x.test', relay: 'r', sender: '', data: MESSAGE })).toBeNull()
  })
})
