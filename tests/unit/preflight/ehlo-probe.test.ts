// The smart host probe against a scripted SMTP server on port 0 (greeting, EHLO, QUIT, each failure), the TCP connector, and PTR query names.
import { createServer, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ehloProbe } from '../../../src/main/preflight/smarthost'
import { reverseName, tcpConnector } from '../../../src/main/preflight/net'

let server: Server | undefined
const heard: string[] = []

async function listen(greeting: string, ehloReply: string): Promise<number> {
  heard.length = 0
  server = createServer((socket) => {
    socket.on('error', () => undefined) // the probe may reset the connection
    if (greeting !== '') socket.write(greeting)
    socket.on('data', (d) => {
      const line = d.toString()
      heard.push(line.trim())
      if (line.startsWith('EHLO')) socket.write(ehloReply)
      if (line.startsWith('QUIT')) socket.end('221 bye\r\n')
    })
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return typeof address === 'object' && address !== null ? address.port : 0
}

afterEach(async () => {
  await new Promise<void>((resolve) => server === undefined ? resolve() : server.close(() => resolve()))
  server = undefined
})

const base = { host: '127.0.0.1', implicitTls: false, rejectUnauthorized: true, hostname: 'client.test', connectTimeoutMs: 2000, smtpTimeoutMs: 500 }

describe('smart host probe (EHLO only)', () => {
  it('reads the multi-line EHLO answer, says QUIT, and never sends AUTH or MAIL', async () => {
    const port = await listen('220 relay.test ESMTP\r\n', '250-relay.test\r\n250-PIPELINING\r\n250-starttls\r\n250 AUTH PLAIN LOGIN\r\n')
    const greeting = await ehloProbe({ ...base, port })
    expect(greeting.extensions).toEqual(['PIPELINING', 'STARTTLS', 'AUTH PLAIN LOGIN'])
    await new Promise((r) => setTimeout(r, 50))
    expect(heard).toEqual(['EHLO client.test', 'QUIT'])
  })

  it('fails with the server’s words on a 554 greeting, and on silence after the timeout', async () => {
    const busy = await listen('554 no service\r\n', '')
    await expect(ehloProbe({ ...base, port: busy })).rejects.toThrow('the server greeted with "554 no service"')
    await new Promise<void>((resolve) => server?.close(() => resolve()))
    const silent = await listen('', '')
    await expect(ehloProbe({ ...base, port: silent })).rejects.toThrow('no SMTP greeting within')
  })

  it('says "connection refused" when nothing listens', async () => {
    const port = await listen('220 x\r\n', '')
    await new Promise<void>((resolve) => server?.close(() => resolve()))
    server = undefined
    await expect(ehloProbe({ ...base, port })).rejects.toThrow('connection refused')
    expect(await tcpConnector('127.0.0.1', port, 1000)).toMatchObject({ ok: false, reason: 'connection refused', code: 'ECONNREFUSED' })
  })

  it('the TCP connector reports the local address it connected from', async () => {
    const port = await listen('220 x\r\n', '')
    expect(await tcpConnector('127.0.0.1', port, 1000)).toMatchObject({ ok: true, localAddress: '127.0.0.1' })
  })
})

describe('reverse DNS names', () => {
  it('builds the in-addr.arpa and ip6.arpa names asked for PTR records', () => {
    expect(reverseName('203.0.113.5')).toBe('5.113.0.203.in-addr.arpa')
    expect(reverseName('2001:db8::1')).toBe('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa')
  })
})
