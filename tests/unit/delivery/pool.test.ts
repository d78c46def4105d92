// Connection reuse of direct delivery: one connection for several messages to an MX, RSET before reuse, limits, idle close.
import { afterEach, describe, expect, it } from 'vitest'
import { createDirectDeliverer } from '../../../src/main/delivery/direct'
import type { PoolOptions } from '../../../src/main/delivery/pool'
import type { DeliveryRequest } from '../../../src/main/delivery/types'
import { memoryLogger } from '../../../src/main/log/logger'
import { fakeResolver } from './fake-resolver'
import { startScriptedSmtp, type Script, type ScriptedServer } from './scripted-smtp'

const MESSAGE = Buffer.from('From: a@sender.test\r\nTo: b@example.test\r\nSubject: hi\r\n\r\nHello.\r\n', 'utf8')
const EHLO = ['PIPELINING', 'SIZE 10240000', '8BITMIME', 'ENHANCEDSTATUSCODES']

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

async function scripted(script: Partial<Script> = {}): Promise<ScriptedServer> {
  const s = await startScriptedSmtp({ ehlo: EHLO, ...script })
  cleanups.push(() => s.close())
  return s
}

function deliverer(port: number, pool?: PoolOptions | false) {
  const log = memoryLogger()
  const resolver = fakeResolver({ 'example.test': [{ exchange: 'mx.example.test', priority: 10 }] }, { 'mx.example.test': ['127.0.0.1'] })
  const d = createDirectDeliverer({ resolver, hostname: 'client.sender.test', allowLoopback: true, port, random: () => 0, log, timeouts: { connectMs: 2_000, greetingMs: 2_000, socketMs: 5_000, dataMs: 5_000 }, ...(pool === undefined ? {} : { pool }) })
  cleanups.push(() => d.close())
  return { d, log }
}

function request(id: string, recipients = ['b@example.test']): DeliveryRequest {
  return { queueId: id, sender: 'a@sender.test', recipients, data: MESSAGE, queuedAt: 0 }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('connection pool', () => {
  it('carries several messages to the same MX over one connection, with RSET before each reuse', async () => {
    const s = await scripted()
    const { d } = deliverer(s.port)
    for (const id of ['Q1', 'Q2', 'Q3']) expect((await d.deliver(request(id)))[0]).toMatchObject({ status: 'sent', timing: { setupMs: expect.any(Number), transmitMs: expect.any(Number) } })
    expect(s.connections).toHaveLength(1)
    expect(s.messages).toHaveLength(3)
    expect(s.connections[0]?.filter((l) => l === 'RSET')).toHaveLength(2)
    expect(s.connections[0]?.filter((l) => l.startsWith('EHLO'))).toHaveLength(1)
  })

  it('opens a new connection after the maximum number of messages per connection', async () => {
    const s = await scripted()
    const { d } = deliverer(s.port, { maxMessages: 2 })
    for (const id of ['Q1', 'Q2', 'Q3', 'Q4', 'Q5']) await d.deliver(request(id))
    expect(s.messages).toHaveLength(5)
    expect(s.connections.map((c) => c.filter((l) => l.startsWith('MAIL')).length)).toEqual([2, 2, 1])
    expect(s.connections[0]).toContain('QUIT')
  })

  it('uses one connection per message when pooling is off', async () => {
    const s = await scripted()
    const { d } = deliverer(s.port, false)
    await d.deliver(request('Q1'))
    await d.deliver(request('Q2'))
    expect(s.connections).toHaveLength(2)
    expect(s.connections.flat()).not.toContain('RSET')
  })

  it('closes an idle connection politely after the idle time', async () => {
    const s = await scripted()
    const { d } = deliverer(s.port, { idleMs: 100 })
    await d.deliver(request('Q1'))
    await sleep(400)
    expect(s.connections[0]).toContain('QUIT')
    await d.deliver(request('Q2'))
    expect(s.connections).toHaveLength(2)
  })

  it('opens a fresh connection when the server hung up on the idle one, with no failure to show', async () => {
    const s = await scripted({ hangUpAfterMessage: true })
    const { d, log } = deliverer(s.port)
    expect((await d.deliver(request('Q1')))[0]?.status).toBe('sent')
    await sleep(100)
    expect((await d.deliver(request('Q2')))[0]?.status).toBe('sent')
    expect(s.connections).toHaveLength(2)
    expect(log.lines.filter((l) => l.startsWith('info'))).toEqual([])
  })

  it('drops a pooled connection whose RSET is refused and delivers on a fresh one', async () => {
    const s = await scripted({ rset: () => '421 4.3.2 Shutting down' })
    const { d } = deliverer(s.port)
    await d.deliver(request('Q1'))
    const [outcome] = await d.deliver(request('Q2'))
    expect(outcome?.status).toBe('sent')
    expect(s.connections).toHaveLength(2)
    expect(s.messages).toHaveLength(2)
  })

  it('sends once more on a fresh connection when a pooled one dies between RSET and MAIL FROM, without blaming the server', async () => {
    const s = await scripted({ hangUpAfterRset: true })
    const { d, log } = deliverer(s.port)
    await d.deliver(request('Q1'))
    const [outcome] = await d.deliver(request('Q2'))
    expect(outcome?.status).toBe('sent')
    expect(s.connections).toHaveLength(2)
    expect(s.messages).toHaveLength(2)
    expect(log.lines.filter((l) => l.startsWith('info'))).toEqual([])
  })

  it('keeps a connection after a refused transaction and resets it before the next message', async () => {
    const s = await scripted({ rcpt: (address) => (address.startsWith('gone@') ? '550 5.1.1 No such user' : '250 2.1.5 Ok') })
    const { d } = deliverer(s.port)
    const [gone] = await d.deliver(request('Q1', ['gone@example.test']))
    expect(gone?.status).toBe('failed')
    const [ok] = await d.deliver(request('Q2'))
    expect(ok?.status).toBe('sent')
    expect(s.connections).toHaveLength(1)
    expect(s.connections[0]?.slice(-4)).toEqual(['RSET', 'MAIL FROM:<a@sender.test> SIZE=' + MESSAGE.length, 'RCPT TO:<b@example.test>', 'DATA'])
  })

  it('gives concurrent deliveries to the same MX their own connections and keeps both for later', async () => {
    const s = await scripted()
    const { d } = deliverer(s.port)
    await Promise.all([d.deliver(request('Q1')), d.deliver(request('Q2'))])
    expect(s.connections).toHaveLength(2)
    await Promise.all([d.deliver(request('Q3')), d.deliver(request('Q4'))])
    expect(s.connections).toHaveLength(2)
    expect(s.messages).toHaveLength(4)
  })
})
