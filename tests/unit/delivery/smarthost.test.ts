// Smart host delivery against a real smtp-server on loopback: required STARTTLS, implicit TLS, certificate checks, AUTH, secrets kept out of logs.
import { afterEach, describe, expect, it } from 'vitest'
import { SMTPServer, type SMTPServerAuthentication } from 'smtp-server'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RouteHop } from '../../../src/main/config/schema'
import { createSmartHostDeliverer, type SmartHostHop } from '../../../src/main/delivery/smarthost'
import type { DeliveryRequest } from '../../../src/main/delivery/types'
import { memoryLogger } from '../../../src/main/log/logger'
import { selfSignedCert } from '../../support/files'
import { fakeResolver } from './fake-resolver'

const MESSAGE = Buffer.from('From: alice@sender.test\r\nTo: b@example.test\r\nSubject: hi\r\nMessage-ID: <1@sender.test>\r\n\r\nHello.\r\n', 'utf8')
const PASSWORD = 'Pa55-w0rd-never-logged'

interface Relay {
  port: number
  /** AUTH attempts the server saw (method, user). */
  logins: Array<{ method: string; username: string | undefined; accessToken?: string | undefined }>
  transactions: Array<{ from: string; to: string[]; secure: boolean; user: unknown }>
  /** Commands the server received, by name (AUTH, MAIL, STARTTLS…). */
  commands: string[]
}

interface RelayOptions {
  starttls?: boolean
  secure?: boolean
  /** Accept AUTH over plaintext (for security 'none'). */
  insecureAuth?: boolean
  noAuth?: boolean
  /** PEM key and certificate; default smtp-server's built-in (expired) test certificate. */
  tlsFiles?: { key: string; cert: string }
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

async function startRelay(opts: RelayOptions = {}): Promise<Relay> {
  const state: Relay = { port: 0, logins: [], transactions: [], commands: [] }
  const sockets = new Set<Socket>()
  const server = new SMTPServer({
    secure: opts.secure === true,
    logger: false,
    ...(opts.tlsFiles === undefined ? {} : { key: opts.tlsFiles.key, cert: opts.tlsFiles.cert }),
    // hideSTARTTLS alone still honours the command: a server without STARTTLS has it disabled.
    hideSTARTTLS: opts.starttls === false,
    allowInsecureAuth: opts.insecureAuth === true,
    disabledCommands: [...(opts.starttls === false ? ['STARTTLS'] : []), ...(opts.noAuth === true ? ['AUTH'] : [])],
    ...(opts.noAuth === true ? { authOptional: true } : { authMethods: ['PLAIN', 'LOGIN', 'XOAUTH2'] }),
    closeTimeout: 200,
    onAuth(auth: SMTPServerAuthentication, _session, callback) {
      state.logins.push({ method: auth.method, username: auth.username, accessToken: auth.accessToken })
      const good = auth.method === 'XOAUTH2' ? auth.accessToken === 'token-for-acct1' : auth.password === PASSWORD
      if (!good) return callback(Object.assign(new Error('5.7.8 Error: authentication failed'), { responseCode: 535 }))
      callback(null, { user: auth.username })
    },
    onData(stream, session, callback) {
      stream.resume()
      stream.on('end', () => {
        state.transactions.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          secure: session.secure,
          user: session.user
        })
        callback(null)
      })
    }
  })
  server.on('error', () => undefined)
  server.server.on('connection', (socket: Socket) => {
    // Node 20 segfaults when the raw socket under a server-side TLS handshake is destroyed: an implicit-TLS server is
    // left to close its own connections (closeTimeout).
    if (opts.secure === true) return
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    // The plaintext commands, up to STARTTLS: what went over the wire unencrypted (detached before the handshake).
    const listen = (chunk: Buffer): void => {
      const name = /^([A-Z]+)[ \r]/.exec(chunk.toString('latin1'))?.[1]
      if (name !== undefined) state.commands.push(name)
      if (name === 'STARTTLS') socket.removeListener('data', listen)
    }
    socket.on('data', listen)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  state.port = address.port
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resolve())
  }))
  return state
}

function hop(port: number, extra: Partial<SmartHostHop> = {}): SmartHostHop {
  return { type: 'smarthost', host: '127.0.0.1', port, security: 'starttls', auth: { user: 'alice', password: PASSWORD }, tls: { rejectUnauthorized: false }, ...extra } as SmartHostHop
}

function deliverer(h: RouteHop & { type: 'smarthost' }, xoauth2Token?: (id: string) => Promise<string>) {
  const log = memoryLogger()
  const d = createSmartHostDeliverer({
    hop: h, hostname: 'client.sender.test', resolver: fakeResolver({}, { 'relay.test': ['127.0.0.1'] }), log,
    timeouts: { connectMs: 2_000, greetingMs: 3_000, socketMs: 5_000, dataMs: 5_000 },
    ...(xoauth2Token === undefined ? {} : { xoauth2Token })
  })
  cleanups.push(() => d.close())
  return { d, log }
}

function request(recipients: string[]): DeliveryRequest {
  return { queueId: 'Q1', sender: 'alice@sender.test', recipients, data: MESSAGE, queuedAt: 0 }
}

describe('smart host delivery', () => {
  it('sends over STARTTLS after AUTH PLAIN, all recipients in one transaction', async () => {
    const relay = await startRelay()
    const { d } = deliverer(hop(relay.port))
    const outcomes = await d.deliver(request(['b@example.test', 'c@other.test']))
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent'])
    expect(outcomes[0]?.reply.host).toBe(`127.0.0.1[127.0.0.1]:${relay.port}`)
    expect(outcomes[0]?.reply.human).toBe('The smart host 127.0.0.1 accepted the message.')
    expect(relay.logins).toEqual([{ method: 'PLAIN', username: 'alice', accessToken: undefined }])
    expect(relay.transactions).toEqual([{ from: 'alice@sender.test', to: ['b@example.test', 'c@other.test'], secure: true, user: 'alice' }])
    expect(relay.commands).toContain('STARTTLS')
    expect(relay.commands).not.toContain('AUTH') // AUTH only ever went inside TLS
  })

  it('logs in with AUTH LOGIN when the route asks for it', async () => {
    const relay = await startRelay()
    const { d } = deliverer(hop(relay.port, { auth: { user: 'alice', password: PASSWORD, method: 'LOGIN' } }))
    expect((await d.deliver(request(['b@example.test'])))[0]?.status).toBe('sent')
    expect(relay.logins[0]?.method).toBe('LOGIN')
  })

  it('logs in with XOAUTH2 using the token of the route account', async () => {
    const relay = await startRelay()
    const asked: string[] = []
    const { d } = deliverer(hop(relay.port, { auth: { user: 'alice', method: 'XOAUTH2', accountId: 'acct1' } }), async (id) => { asked.push(id); return `token-for-${id}` })
    expect((await d.deliver(request(['b@example.test'])))[0]?.status).toBe('sent')
    expect(asked).toEqual(['acct1'])
    expect(relay.logins).toEqual([{ method: 'XOAUTH2', username: 'alice', accessToken: 'token-for-acct1' }])
  })

  it('defers with the account layer\'s reason when no XOAUTH2 token can be had, without sending AUTH', async () => {
    const relay = await startRelay()
    const { d } = deliverer(hop(relay.port, { auth: { user: 'alice', method: 'XOAUTH2', accountId: 'acct1' } }), async () => { throw new Error('the sign-in for acct1 has expired') })
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('deferred')
    expect(outcome?.reply.human).toBe('Logging in to the smart host 127.0.0.1 as alice failed: the sign-in for acct1 has expired.')
    expect(relay.logins).toHaveLength(0)
  })

  it('defers with a clear sentence when the password is wrong, and never logs the password', async () => {
    const relay = await startRelay()
    const wrong = 'wr0ng-secret-value'
    const { d, log } = deliverer(hop(relay.port, { auth: { user: 'alice', password: wrong } }))
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('deferred')
    expect(outcome?.unreachable).toBeUndefined()
    expect(outcome?.reply.enhanced).toBe('4.7.8')
    expect(outcome?.reply.code).toBe(535)
    expect(outcome?.reply.human).toBe('The smart host 127.0.0.1 refused the login for alice: check the password.')
    expect(relay.transactions).toHaveLength(0)
    const logged = log.lines.join('\n')
    expect(log.lines.some((l) => l.startsWith('debug smtp:') && l.includes('AUTH PLAIN'))).toBe(true) // the dialogue is logged …
    expect(logged).not.toContain(wrong) // … without the secret, plain or base64
    expect(logged).not.toContain(Buffer.from(`\0alice\0${wrong}`).toString('base64'))
    expect(logged).not.toContain(Buffer.from(wrong).toString('base64'))
  })

  it('keeps LOGIN and XOAUTH2 secrets out of the debug log too', async () => {
    const relay = await startRelay()
    const { d, log } = deliverer(hop(relay.port, { auth: { user: 'alice', password: PASSWORD, method: 'LOGIN' } }))
    await d.deliver(request(['b@example.test']))
    const x = deliverer(hop(relay.port, { auth: { user: 'alice', method: 'XOAUTH2', accountId: 'acct1' } }), async () => 'token-for-acct1')
    await x.d.deliver(request(['b@example.test']))
    const logged = [...log.lines, ...x.log.lines].join('\n')
    expect(logged).toContain('AUTH LOGIN')
    expect(logged).not.toContain(PASSWORD)
    expect(logged).not.toContain(Buffer.from(PASSWORD).toString('base64'))
    expect(logged).not.toContain('token-for-acct1')
    expect(logged).not.toContain(Buffer.from('user=alice\x01auth=Bearer token-for-acct1\x01\x01').toString('base64'))
  })

  it('defers without sending AUTH or mail when the server does not offer STARTTLS', async () => {
    const relay = await startRelay({ starttls: false, insecureAuth: true })
    const { d } = deliverer(hop(relay.port))
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('deferred')
    expect(outcome?.reply.enhanced).toBe('4.7.10')
    expect(outcome?.reply.human).toBe('The smart host 127.0.0.1 does not offer encryption (STARTTLS), which this route requires; nothing was sent, not even the login.')
    expect(relay.commands).not.toContain('AUTH')
    expect(relay.commands).not.toContain('MAIL')
    expect(relay.logins).toHaveLength(0)
  })

  it('checks the certificate by default and says how to allow a test server', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-smarthost-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const files = await selfSignedCert(join(dir, 'cert.pem'), join(dir, 'key.pem'), 'relay.test')
    const relay = await startRelay({ tlsFiles: { key: await readFile(files.key, 'utf8'), cert: await readFile(files.cert, 'utf8') } })
    const { d } = deliverer(hop(relay.port, { tls: { rejectUnauthorized: true } }))
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('deferred')
    expect(outcome?.unreachable).toBeUndefined()
    expect(outcome?.reply.enhanced).toBe('4.7.5')
    expect(outcome?.reply.human).toBe('The certificate of 127.0.0.1 is not trusted (self-signed) – set tls.rejectUnauthorized false only for test servers.')
    expect(relay.logins).toHaveLength(0)
    expect(relay.commands).not.toContain('AUTH')
    expect(relay.transactions).toHaveLength(0)
  })

  it('names an expired certificate (smtp-server\'s built-in one)', async () => {
    const relay = await startRelay({ secure: true })
    const { d } = deliverer(hop(relay.port, { security: 'tls', tls: { rejectUnauthorized: true } }))
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.reply.human).toMatch(/^The certificate of 127\.0\.0\.1 is not trusted \((it has expired|self-signed)\)/)
    expect(relay.transactions).toHaveLength(0)
  })

  it('never falls back to plaintext when the TLS handshake fails after STARTTLS', async () => {
    // A broken server: offers STARTTLS and AUTH, says 220 to STARTTLS, then answers the handshake with plaintext.
    const seen: string[] = []
    let connections = 0
    const sockets = new Set<Socket>()
    const broken = createServer((socket) => {
      connections += 1
      sockets.add(socket)
      socket.on('error', () => undefined)
      socket.write('220 broken.test ESMTP\r\n')
      socket.on('data', (chunk: Buffer) => {
        const line = chunk.toString('latin1')
        seen.push(line.slice(0, 8))
        if (/^EHLO/i.test(line)) socket.write('250-broken.test\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n')
        else if (/^STARTTLS/i.test(line)) socket.write('220 go ahead\r\n')
        else socket.write('500 what\r\n') // the client's TLS hello gets a plaintext answer
      })
    })
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', () => resolve()))
    cleanups.push(() => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); broken.close(() => resolve()) }))
    const port = (broken.address() as { port: number }).port
    const { d } = deliverer(hop(port))
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('deferred')
    expect(outcome?.unreachable).toBeUndefined()
    expect(outcome?.reply.human).toBe('The smart host 127.0.0.1 could not set up an encrypted connection; this is temporary.')
    expect(connections).toBe(1) // no second, plaintext session
    expect(seen.some((line) => /^(AUTH|MAIL)/i.test(line))).toBe(false)
  })

  it('uses implicit TLS for security "tls"', async () => {
    const relay = await startRelay({ secure: true })
    const { d } = deliverer(hop(relay.port, { security: 'tls' }))
    expect((await d.deliver(request(['b@example.test'])))[0]?.status).toBe('sent')
    expect(relay.transactions[0]?.secure).toBe(true)
    expect(relay.transactions[0]?.user).toBe('alice')
  })

  it('speaks plaintext only with security "none", ignoring STARTTLS', async () => {
    const relay = await startRelay({ insecureAuth: true })
    const { d } = deliverer(hop(relay.port, { security: 'none' }))
    expect((await d.deliver(request(['b@example.test'])))[0]?.status).toBe('sent')
    expect(relay.transactions[0]?.secure).toBe(false)
    expect(relay.commands).not.toContain('STARTTLS')
    expect(relay.commands).toContain('AUTH')
  })

  it('defers with a clear reason when the server offers no AUTH', async () => {
    const relay = await startRelay({ noAuth: true })
    const { d } = deliverer(hop(relay.port))
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('deferred')
    expect(outcome?.reply.human).toBe('The smart host 127.0.0.1 does not offer a login (AUTH) on this connection; check the route\'s port and security.')
    expect(relay.transactions).toHaveLength(0)
  })

  it('sends without AUTH when the route has no login', async () => {
    const relay = await startRelay({ noAuth: true })
    const { d } = deliverer(hop(relay.port, { auth: undefined }))
    expect((await d.deliver(request(['b@example.test'])))[0]?.status).toBe('sent')
  })

  it('marks a smart host that refuses connections as unreachable', async () => {
    const relay = await startRelay()
    const port = relay.port
    await cleanups.pop()?.() // stop it: nothing listens on the port now
    const { d } = deliverer(hop(port))
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('deferred')
    expect(outcome?.unreachable).toBe(true)
    expect(outcome?.reply.enhanced).toBe('4.4.1')
    expect(outcome?.reply.human).toMatch(/^The smart host 127\.0\.0\.1 could not be reached \(127\.0\.0\.1\[127\.0\.0\.1\]:\d+: connection refused\)\.$/)
  })

  it('looks up a smart host name, and an unknown name is unreachable with a clear sentence', async () => {
    const relay = await startRelay()
    const { d } = deliverer(hop(relay.port, { host: 'relay.test' }))
    expect((await d.deliver(request(['b@example.test'])))[0]?.reply.host).toBe(`relay.test[127.0.0.1]:${relay.port}`)
    const missing = deliverer(hop(relay.port, { host: 'nosuch.test' }))
    const [outcome] = await missing.d.deliver(request(['b@example.test']))
    expect(outcome?.unreachable).toBe(true)
    expect(outcome?.reply.human).toBe('The smart host nosuch.test cannot be found in DNS; check the route\'s host.')
  })

  it('defers with a clear reason when no password is configured', async () => {
    const relay = await startRelay()
    const { d } = deliverer(hop(relay.port, { auth: { user: 'alice', accountId: 'acct1' } }))
    const [outcome] = await d.deliver(request(['b@example.test']))
    expect(outcome?.status).toBe('deferred')
    expect(outcome?.reply.human).toBe('No password is available for alice on the smart host 127.0.0.1: no password configured.')
    expect(relay.logins).toHaveLength(0)
  })
})
