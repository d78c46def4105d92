// Direct MX delivery against a real smtp-server on loopback (port injected, DNS faked): transactions, fallbacks, verdicts.
import { createServer, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createDirectDeliverer } from '../../../src/main/delivery/direct'
import type { DeliveryRequest, Deliverer } from '../../../src/main/delivery/types'
import { memoryLogger } from '../../../src/main/log/logger'
import { fakeResolver } from './fake-resolver'
import { startScriptedSmtp } from './scripted-smtp'
import { startTestServer, type Behaviour, type TestServer } from './smtp-test-server'

const MESSAGE = Buffer.from('From: a@sender.test\r\nTo: b@example.test\r\nSubject: hi\r\nMessage-ID: <1@sender.test>\r\n\r\nHello.\r\n', 'utf8')

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

async function server(behaviour: Behaviour = {}, host = '127.0.0.1', port = 0): Promise<TestServer> {
  const s = await startTestServer(behaviour, host, port)
  cleanups.push(() => s.close())
  return s
}

/** A second server on another loopback address, same port (the port is shared by every MX of a deliverer). */
async function serverBeside(first: TestServer, behaviour: Behaviour, host: string): Promise<TestServer> {
  return server(behaviour, host, first.port)
}

/** A bare TCP server playing a broken SMTP server: `script` gets each connection. */
async function rawServer(script: (socket: Socket) => void, host = '127.0.0.1', port = 0): Promise<{ port: number }> {
  const sockets = new Set<Socket>()
  const s = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
    script(socket)
  })
  await new Promise<void>((resolve) => s.listen(port, host, () => resolve()))
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    s.close(() => resolve())
  }))
  const address = s.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  return { port: address.port }
}

function deliverer(port: number, mx: Parameters<typeof fakeResolver>[0], addresses: Parameters<typeof fakeResolver>[1]): { d: Deliverer; log: ReturnType<typeof memoryLogger>; resolver: ReturnType<typeof fakeResolver> } {
  const log = memoryLogger()
  const resolver = fakeResolver(mx, addresses)
  const d = createDirectDeliverer({ resolver, hostname: 'client.sender.test', allowLoopback: true, port, random: () => 0, log, timeouts: { connectMs: 2_000, greetingMs: 2_000, socketMs: 5_000, dataMs: 5_000 } })
  cleanups.push(() => d.close())
  return { d, log, resolver }
}

function request(recipients: string[], sender = 'a@sender.test'): DeliveryRequest {
  return { queueId: 'Q1', sender, recipients, data: MESSAGE, queuedAt: 0 }
}

const oneMx = { 'example.test': [{ exchange: 'mx.example.test', priority: 10 }] }
const local = { 'mx.example.test': ['127.0.0.1'] }

describe('direct delivery', () => {
  it('sends all recipients of a domain in one transaction and keeps the final reply', async () => {
    const s = await server()
    const { d } = deliverer(s.port, oneMx, local)
    const outcomes = await d.deliver(request(['b@example.test', 'c@example.test', 'd@EXAMPLE.test']))
    expect(outcomes.map((o) => [o.recipient, o.status])).toEqual([['b@example.test', 'sent'], ['c@example.test', 'sent'], ['d@EXAMPLE.test', 'sent']])
    expect(s.sessions).toBe(1)
    expect(s.mailFroms).toEqual(['a@sender.test'])
    expect(s.transactions).toHaveLength(1)
    expect(s.transactions[0]?.to).toEqual(['b@example.test', 'c@example.test', 'd@EXAMPLE.test'])
    expect(s.transactions[0]?.data).toBe(MESSAGE.toString('utf8'))
    expect(s.transactions[0]?.helo).toBe('client.sender.test')
    const reply = outcomes[0]?.reply
    expect(reply?.code).toBe(250)
    expect(reply?.text).toMatch(/^250 /)
    expect(reply?.host).toBe(`mx.example.test[127.0.0.1]:${s.port}`)
    expect(reply?.human).toBe('The server for example.test accepted the message.')
  })

  it('sends the null sender as MAIL FROM:<>', async () => {
    const s = await server()
    const { d } = deliverer(s.port, oneMx, local)
    const [outcome] = await d.deliver(request(['b@example.test'], ''))
    expect(outcome?.status).toBe('sent')
    expect(s.transactions[0]?.from).toBe('')
  })

  it('keeps a per-recipient 550 and delivers the others in the same transaction', async () => {
    const s = await server({ rcpt: (to) => (to.startsWith('gone@') ? { code: 550, message: '5.1.1 No such user' } : undefined) })
    const { d } = deliverer(s.port, oneMx, local)
    const [gone, ok] = await d.deliver(request(['gone@example.test', 'ok@example.test']))
    expect(gone?.status).toBe('failed')
    expect(gone?.reply).toMatchObject({ code: 550, enhanced: '5.1.1', text: '550 5.1.1 No such user', human: 'The server for example.test says the mailbox does not exist.' })
    expect(ok?.status).toBe('sent')
    expect(s.mailFroms).toHaveLength(1)
    expect(s.transactions.map((t) => t.to)).toEqual([['ok@example.test']])
  })

  it('defers a recipient that gets 450 at RCPT, with an enhanced code derived from the reply', async () => {
    const s = await server({ rcpt: () => ({ code: 450, message: 'Mailbox busy, try again later' }) })
    const { d } = deliverer(s.port, oneMx, local)
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('deferred')
    expect(outcome?.reply).toMatchObject({ code: 450, enhanced: '4.2.0' })
    expect(outcome?.unreachable).toBeUndefined()
    expect(s.transactions).toHaveLength(0)
  })

  it('fails every recipient when the server refuses the message at the end of DATA', async () => {
    const s = await server({ data: () => ({ code: 554, message: '5.7.1 Message rejected as spam' }) })
    const { d } = deliverer(s.port, oneMx, local)
    const outcomes = await d.deliver(request(['b@example.test', 'c@example.test']))
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'failed'])
    expect(outcomes[0]?.reply).toMatchObject({ code: 554, enhanced: '5.7.1', human: 'The server for example.test says the message is refused by policy.' })
  })

  it('keeps a recipient’s own RCPT refusal when the message is then refused as a whole', async () => {
    const s = await server({
      rcpt: (to) => (to.startsWith('later@') ? { code: 450, message: '4.2.1 Try later' } : undefined),
      data: () => ({ code: 554, message: '5.6.0 Bad content' })
    })
    const { d } = deliverer(s.port, oneMx, local)
    const [later, now] = await d.deliver(request(['later@example.test', 'now@example.test']))
    expect(later).toMatchObject({ status: 'deferred', reply: { enhanced: '4.2.1' } })
    expect(now).toMatchObject({ status: 'failed', reply: { enhanced: '5.6.0' } })
  })

  it('falls back to the next MX when the first address refuses connections', async () => {
    const s = await server()
    const { d, log } = deliverer(s.port,
      { 'example.test': [{ exchange: 'mx2.example.test', priority: 20 }, { exchange: 'mx1.example.test', priority: 10 }] },
      { 'mx1.example.test': ['127.0.0.2'], 'mx2.example.test': ['127.0.0.1'] })
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('sent')
    expect(outcome?.reply.host).toBe(`mx2.example.test[127.0.0.1]:${s.port}`)
    expect(log.lines.join('\n')).toContain(`connect to mx1.example.test[127.0.0.2]:${s.port}: connection refused`)
  })

  it('defers, unreachable, when no MX accepts a connection, and says what was tried', async () => {
    const s = await server() // only to own a port nobody listens on at 127.0.0.2/127.0.0.3
    const { d } = deliverer(s.port,
      { 'example.test': [{ exchange: 'mx1.example.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }] },
      { 'mx1.example.test': ['127.0.0.2'], 'mx2.example.test': ['127.0.0.3'] })
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome).toMatchObject({ status: 'deferred', unreachable: true, reply: { enhanced: '4.4.1' } })
    expect(outcome?.reply.human).toContain(`mx1.example.test[127.0.0.2]:${s.port}: connection refused`)
    expect(outcome?.reply.human).toContain(`mx2.example.test[127.0.0.3]:${s.port}: connection refused`)
    expect(outcome?.reply.code).toBeUndefined()
    expect(s.sessions).toBe(0)
  })

  it('defers when the connection drops after the final dot (the duplicate window), without trying another MX', async () => {
    const s = await server({ dropAfterData: true })
    const backup = await serverBeside(s, {}, '127.0.0.2')
    const { d } = deliverer(s.port,
      { 'example.test': [{ exchange: 'mx1.example.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }] },
      { 'mx1.example.test': ['127.0.0.1'], 'mx2.example.test': ['127.0.0.2'] })
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome).toMatchObject({ status: 'deferred', reply: { enhanced: '4.4.2' } })
    expect(outcome?.reply.human).toContain('may have been delivered')
    expect(outcome?.unreachable).toBeUndefined()
    expect(s.transactions).toHaveLength(1) // the server did receive it all
    expect(backup.sessions).toBe(0)
  })

  it('uses STARTTLS when the server offers it, with the MX name as TLS server name', async () => {
    const s = await server({ starttls: true })
    const { d } = deliverer(s.port, oneMx, local)
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('sent')
    expect(s.transactions[0]?.secure).toBe(true)
    expect(s.transactions[0]?.servername).toBe('mx.example.test')
  })

  it('retries the same MX once in plaintext when the STARTTLS handshake fails, and logs it', async () => {
    const broken = await startScriptedSmtp({ ehlo: ['PIPELINING', '8BITMIME', 'STARTTLS'], brokenTls: true })
    cleanups.push(() => broken.close())
    const backup = await server({}, '127.0.0.2', broken.port)
    const { d, log } = deliverer(broken.port,
      { 'example.test': [{ exchange: 'mx1.example.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }] },
      { 'mx1.example.test': ['127.0.0.1'], 'mx2.example.test': ['127.0.0.2'] })
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('sent')
    expect(outcome?.reply.host).toBe(`mx1.example.test[127.0.0.1]:${broken.port}`)
    expect(broken.messages).toHaveLength(1)
    expect(broken.connections).toHaveLength(2)
    expect(broken.connections[0]).toContain('STARTTLS')
    expect(broken.connections[1]).not.toContain('STARTTLS')
    expect(backup.sessions).toBe(0)
    expect(log.lines.join('\n')).toContain(`conversation with mx1.example.test[127.0.0.1]:${broken.port}: TLS handshake failed (wrong version number); trying mx1.example.test[127.0.0.1]:${broken.port} again without TLS`)
  })

  it('defers when a server accepts the connection but never greets', async () => {
    const mute = await rawServer(() => undefined)
    const log = memoryLogger()
    const d = createDirectDeliverer({ resolver: fakeResolver(oneMx, local), hostname: 'client.sender.test', allowLoopback: true, port: mute.port, log, timeouts: { greetingMs: 200 } })
    cleanups.push(() => d.close())
    const started = Date.now()
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome).toMatchObject({ status: 'deferred', reply: { enhanced: '4.4.2', host: `mx.example.test[127.0.0.1]:${mute.port}`, human: 'The mail server mx.example.test for example.test did not greet us in time.' } })
    expect(outcome?.unreachable).toBeUndefined()
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it('tries the next MX host after a 4xx to the whole transaction', async () => {
    const primary = await server({ mail: () => ({ code: 451, message: '4.3.0 Local problem, try later' }) })
    const backup = await serverBeside(primary, {}, '127.0.0.2')
    const { d } = deliverer(primary.port,
      { 'example.test': [{ exchange: 'mx1.example.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }] },
      { 'mx1.example.test': ['127.0.0.1'], 'mx2.example.test': ['127.0.0.2'] })
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('sent')
    expect(outcome?.reply.host).toBe(`mx2.example.test[127.0.0.2]:${primary.port}`)
    expect(backup.transactions).toHaveLength(1)
  })

  it('keeps the first 4xx when the next MX cannot be reached', async () => {
    const primary = await server({ mail: () => ({ code: 451, message: '4.3.0 Local problem, try later' }) })
    const { d } = deliverer(primary.port,
      { 'example.test': [{ exchange: 'mx1.example.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }] },
      { 'mx1.example.test': ['127.0.0.1'], 'mx2.example.test': ['127.0.0.3'] })
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome).toMatchObject({ status: 'deferred', reply: { code: 451, enhanced: '4.3.0', host: `mx1.example.test[127.0.0.1]:${primary.port}` } })
    expect(outcome?.unreachable).toBeUndefined()
  })

  it('does not try the next MX after a 5xx to the whole transaction', async () => {
    const primary = await server({ mail: () => ({ code: 550, message: '5.7.1 Sender refused' }) })
    const backup = await serverBeside(primary, {}, '127.0.0.2')
    const { d } = deliverer(primary.port,
      { 'example.test': [{ exchange: 'mx1.example.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }] },
      { 'mx1.example.test': ['127.0.0.1'], 'mx2.example.test': ['127.0.0.2'] })
    const outcomes = await d.deliver(request(['b@example.test', 'c@example.test']))
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'failed'])
    expect(outcomes[0]?.reply).toMatchObject({ code: 550, enhanced: '5.7.1' })
    expect(backup.sessions).toBe(0)
  })

  it('moves on to the next MX when a server greets with 421', async () => {
    const busy = await server({ greeting: { code: 421, message: 'Too busy' } })
    const backup = await serverBeside(busy, {}, '127.0.0.2')
    const { d } = deliverer(busy.port,
      { 'example.test': [{ exchange: 'mx1.example.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }] },
      { 'mx1.example.test': ['127.0.0.1'], 'mx2.example.test': ['127.0.0.2'] })
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('sent')
    expect(busy.sessions).toBe(1)
    expect(backup.transactions).toHaveLength(1)
  })

  it('reports a greeting refusal when it was the only answer', async () => {
    const busy = await server({ greeting: { code: 554, message: 'No SMTP service here' } })
    const { d } = deliverer(busy.port, oneMx, local)
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome).toMatchObject({ status: 'deferred', reply: { code: 554, host: `mx.example.test[127.0.0.1]:${busy.port}` } })
    expect(outcome?.reply.enhanced).toMatch(/^4\./)
  })

  it('handles each domain on its own: DNS verdicts without connecting, and one transaction per domain', async () => {
    const s = await server()
    const { d } = deliverer(s.port,
      { 'example.test': [{ exchange: 'mx.example.test', priority: 10 }], 'other.test': [{ exchange: 'mx.example.test', priority: 5 }], 'nullmx.test': [{ exchange: '', priority: 0 }], 'broken.test': 'temporary' },
      local)
    const outcomes = await d.deliver(request(['a@example.test', 'b@nowhere.test', 'c@other.test', 'd@nullmx.test', 'e@broken.test', 'f@example.test']))
    expect(outcomes.map((o) => [o.recipient, o.status, o.reply.enhanced])).toEqual([
      ['a@example.test', 'sent', expect.any(String)],
      ['b@nowhere.test', 'failed', '5.1.2'],
      ['c@other.test', 'sent', expect.any(String)],
      ['d@nullmx.test', 'failed', '5.1.10'],
      ['e@broken.test', 'deferred', '4.4.3'],
      ['f@example.test', 'sent', expect.any(String)]
    ])
    expect(outcomes[1]?.reply.human).toBe('The domain nowhere.test does not exist.')
    expect(outcomes[3]?.reply.human).toBe('nullmx.test does not accept mail (null MX).')
    expect(s.transactions.map((t) => t.to).sort()).toEqual([['a@example.test', 'f@example.test'], ['c@other.test']])
  })

  it('refuses a loopback MX unless allowed', async () => {
    const log = memoryLogger()
    const d = createDirectDeliverer({ resolver: fakeResolver(oneMx, local), hostname: 'client.sender.test', allowLoopback: false, port: 1, log })
    const [outcome] = await d.deliver(request(['b@example.test']))
    await d.close()
    expect(outcome).toMatchObject({ status: 'failed', reply: { enhanced: '5.4.4' } })
    expect(outcome?.reply.human).toContain('MX for example.test points to a private or loopback address')
  })
})
