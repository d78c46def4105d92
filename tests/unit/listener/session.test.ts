// The loopback listener as a client sees it, over a real socket against a real spool: telnet session, smuggling, relay, HTTP, size, limits.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { localDomainsFrom } from '../../../src/main/local/domains'
import { memoryLogger } from '../../../src/main/log/logger'
import { startListener, type ListenerOptions, type RunningListener } from '../../../src/main/listener/server'
import { QueueService } from '../../../src/main/queue/service'
import { AppError } from '../../../src/shared/result'
import { fakeDeliverer, tempDir } from '../queue/helpers'
import { freePort } from '../../support/ports'
import { SmtpTalk } from '../../support/smtp-talk'

const OWN_UID = 1000
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

interface Setup {
  listener: RunningListener
  port: number
  queue: QueueService
  log: ReturnType<typeof memoryLogger>
  talk(): Promise<SmtpTalk>
}

async function setup(overrides: Partial<ListenerOptions> & { maxMessages?: number; peer?: number | null } = {}): Promise<Setup> {
  const { dir, cleanup } = await tempDir()
  const log = memoryLogger()
  const queue = await QueueService.open({
    spoolDir: join(dir, 'spool'), lockFile: join(dir, 'queue.lock'), deliverer: fakeDeliverer(), clock: { now: () => Date.now(), setTimeout: (fn, ms) => { const t = setTimeout(fn, ms); return { cancel: () => clearTimeout(t) } } }, log,
    ...(overrides.maxMessages === undefined ? {} : { limits: { maxMessages: overrides.maxMessages, maxBytes: 1e12, minFreeDisk: 0 } })
  })
  const port = await freePort()
  const listener = await startListener({
    hosts: ['127.0.0.1'],
    port,
    hostname: 'mailroom.test',
    maxMessageSize: 100_000,
    maxReceived: 50,
    relay: { ownUser: true, ownUid: OWN_UID, users: [{ user: 'relay', password: 'pass word' }] },
    localDomains: localDomainsFrom(['mailroom.test', 'localhost']),
    checkLocal: async (local) => (['alice', 'postmaster'].includes(local.toLowerCase()) ? { ok: true } : { ok: false, permanent: true, reason: 'User unknown in local recipient table' }),
    submit: (input) => queue.submit(input),
    log,
    now: () => Date.now(),
    peerUid: async () => overrides.peer === undefined ? 4242 : overrides.peer,
    ...overrides
  })
  const talks: SmtpTalk[] = []
  cleanups.push(async () => {
    for (const t of talks) t.close()
    await listener.close()
    await queue.close()
    await cleanup()
  })
  return {
    listener, port, queue, log,
    async talk() {
      const t = await SmtpTalk.open(port)
      talks.push(t)
      const greeting = await t.read()
      expect(greeting?.code).toBe(220)
      return t
    }
  }
}

async function queued(queue: QueueService): Promise<Array<{ id: string; sender: string; recipients: string[] }>> {
  return (await queue.list()).map((m) => ({ id: m.id, sender: m.sender, recipients: m.recipients.map((r) => r.address) }))
}

async function dataOf(queue: QueueService, id: string): Promise<string> {
  return (await readFile(queue.spool.layout.dataPath(id))).toString('latin1')
}

describe('loopback listener: a telnet session', () => {
  it('takes HELO, MAIL FROM, RCPT TO, DATA, the dot and QUIT typed line by line, answers 250 with the queue id after the commit', async () => {
    const s = await setup()
    const t = await s.talk()
    expect((await t.send('HELO my.laptop')).code).toBe(250)
    expect((await t.send('MAIL FROM:<bob@example.org>')).code).toBe(250)
    expect((await t.send('RCPT TO:<alice@mailroom.test>')).code).toBe(250)
    expect((await t.send('DATA')).code).toBe(354)
    for (const line of ['Subject: typed by hand', '', 'Hello Alice,', '..a line that starts with a dot', 'bye']) t.write(`${line}\r\n`)
    const done = await t.send('.')
    expect(done.code).toBe(250)
    const id = /^250 2\.0\.0 Ok: queued as ([0-9A-Z]+)$/.exec(done.text)?.[1]
    expect(id).toBeDefined()
    expect(await queued(s.queue)).toEqual([{ id, sender: 'bob@example.org', recipients: ['alice@mailroom.test'] }])
    const [message] = await s.queue.list()
    expect(message?.origin).toBe('listener')
    const raw = await dataOf(s.queue, id as string)
    expect(raw).toMatch(/^Received: from my\.laptop \(localhost \[127\.0\.0\.1\]\)\r\n\tby mailroom\.test \(Mailroom\) with SMTP\r\n\tfor <alice@mailroom\.test>; /)
    expect(raw).toContain('\r\nSubject: typed by hand\r\n')
    expect(raw).toMatch(/\r\nMessage-ID: <[^>]+@mailroom\.test>\r\n/)
    expect(raw).toContain('\r\n\r\nHello Alice,\r\n.a line that starts with a dot\r\nbye\r\n')
    expect((await t.send('QUIT')).code).toBe(221)
    expect(await t.whenClosed()).toBe(true)
  })

  it('answers EHLO with PIPELINING, 8BITMIME, SMTPUTF8 and SIZE, no STARTTLS without a certificate, and AUTH only when relay users exist', async () => {
    const s = await setup()
    const t = await s.talk()
    const ehlo = await t.send('EHLO client.test')
    expect(ehlo.code).toBe(250)
    expect(ehlo.text).toContain('SIZE 100000')
    for (const extension of ['PIPELINING', '8BITMIME', 'SMTPUTF8']) expect(ehlo.text).toContain(extension)
    expect(ehlo.text).not.toContain('STARTTLS')
    expect(ehlo.text).toContain('AUTH PLAIN LOGIN')
    const none = await setup({ relay: { ownUser: true, ownUid: OWN_UID, users: [] } })
    const t2 = await none.talk()
    expect((await t2.send('EHLO client.test')).text).not.toContain('AUTH')
  })
})

describe('loopback listener: SMTP smuggling and bare line ends', () => {
  const variants: Array<[string, string]> = [
    ['\\n.\\n', '\n.\n'], ['\\r.\\r', '\r.\r'], ['\\n.\\r\\n', '\n.\r\n'], ['\\r\\n.\\n', '\r\n.\n'], ['\\r.\\r\\n', '\r.\r\n'], ['\\r\\n.\\r', '\r\n.\r']
  ]
  for (const [name, ending] of variants) {
    it(`never takes ${name} as the end of data: the smuggled commands stay inside the message, which is refused with 5.x.x`, async () => {
      const s = await setup()
      const t = await s.talk()
      await t.send('EHLO attacker.test')
      await t.send('MAIL FROM:<bob@example.org>')
      await t.send('RCPT TO:<alice@mailroom.test>')
      expect((await t.send('DATA')).code).toBe(354)
      t.write(`Subject: innocent\r\n\r\nhello${ending}MAIL FROM:<admin@mailroom.test>\r\nRCPT TO:<alice@mailroom.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n`)
      const reply = await t.read()
      expect(reply?.code).toBe(554)
      expect(reply?.text).toMatch(/^554 5\.6\.0 Message refused: bare <(LF|CR)> at line [34];/)
      // One reply only: nothing of the smuggled transaction was read as a command.
      expect((await t.send('NOOP')).code).toBe(250)
      expect(t.transcript.match(/^\d{3}[ -]/gm)?.filter((l) => l.startsWith('354'))).toHaveLength(1)
      expect(await queued(s.queue)).toEqual([])
    })
  }

  it('refuses a message with a bare LF in its headers or a bare CR at its very end, and takes the next clean one on the same connection', async () => {
    const s = await setup()
    const t = await s.talk()
    await t.send('HELO x')
    await t.send('MAIL FROM:<bob@example.org>')
    await t.send('RCPT TO:<alice@mailroom.test>')
    await t.send('DATA')
    t.write('Subject: a\nX: b\r\n\r\nbody\r\n.\r\n')
    expect((await t.read())?.text).toMatch(/^554 5\.6\.0 Message refused: bare <LF> at line 1;/)
    await t.send('MAIL FROM:<bob@example.org>')
    await t.send('RCPT TO:<alice@mailroom.test>')
    await t.send('DATA')
    t.write('Subject: ok\r\n\r\nbody\r\n.\r\n')
    expect((await t.read())?.code).toBe(250)
    expect(await queued(s.queue)).toHaveLength(1)
  })
})

describe('loopback listener: relaying', () => {
  async function rcptRemote(s: Setup, auth?: string): Promise<{ t: SmtpTalk; code: number; text: string }> {
    const t = await s.talk()
    await t.send('EHLO client.test')
    if (auth !== undefined) expect((await t.send(`AUTH PLAIN ${auth}`)).code).toBe(235)
    await t.send('MAIL FROM:<me@mailroom.test>')
    const reply = await t.send('RCPT TO:<friend@remote.example>')
    return { t, ...reply }
  }
  const plain = (user: string, password: string): string => Buffer.from(`\0${user}\0${password}`).toString('base64')

  it('refuses a remote recipient from a client of another OS user without AUTH: 554 5.7.1 Relay access denied, nothing queued', async () => {
    const s = await setup({ peer: 4242 })
    const { t, code, text } = await rcptRemote(s)
    expect(code).toBe(554)
    expect(text).toBe('554 5.7.1 <friend@remote.example>: Relay access denied (authenticate, or send from the user running Mailroom)')
    expect((await t.send('DATA')).code).toBe(503)
    expect(await queued(s.queue)).toEqual([])
  })

  it('refuses relaying when the socket owner cannot be found, or ownUser is off', async () => {
    expect((await rcptRemote(await setup({ peer: null }))).code).toBe(554)
    expect((await rcptRemote(await setup({ peer: OWN_UID, relay: { ownUser: false, ownUid: OWN_UID, users: [] } }))).code).toBe(554)
  })

  it('relays for a client running as our own user (listener.relay.ownUser)', async () => {
    const s = await setup({ peer: OWN_UID })
    const { t, code } = await rcptRemote(s)
    expect(code).toBe(250)
    await t.send('DATA')
    t.write('Subject: out\r\n\r\nhi\r\n.\r\n')
    expect((await t.read())?.code).toBe(250)
    expect((await queued(s.queue))[0]?.recipients).toEqual(['friend@remote.example'])
  })

  it('relays after AUTH PLAIN with a listener.relay.users entry, writes ESMTPA in Received:, and refuses a wrong password with 535 5.7.8', async () => {
    const s = await setup({ peer: 4242 })
    const bad = await s.talk()
    await bad.send('EHLO client.test')
    expect((await bad.send(`AUTH PLAIN ${plain('relay', 'wrong')}`)).text).toBe('535 5.7.8 Authentication credentials invalid')
    const { t, code } = await rcptRemote(s, plain('relay', 'pass word'))
    expect(code).toBe(250)
    await t.send('DATA')
    t.write('Subject: out\r\n\r\nhi\r\n.\r\n')
    const done = await t.read()
    expect(done?.code).toBe(250)
    const id = /queued as (\S+)/.exec(done?.text ?? '')?.[1] as string
    expect(await dataOf(s.queue, id)).toMatch(/with ESMTPA\r\n\tfor <friend@remote\.example>;/)
  })

  it('accepts AUTH LOGIN too', async () => {
    const s = await setup({ peer: 4242 })
    const t = await s.talk()
    await t.send('EHLO client.test')
    expect((await t.send('AUTH LOGIN')).code).toBe(334)
    expect((await t.send(Buffer.from('relay').toString('base64'))).code).toBe(334)
    expect((await t.send(Buffer.from('pass word').toString('base64'))).code).toBe(235)
  })
})

describe('loopback listener: recipients, limits and refusals', () => {
  it('refuses an unknown local user at RCPT time with 550 5.1.1 and accepts postmaster and a known user', async () => {
    const s = await setup()
    const t = await s.talk()
    await t.send('HELO x')
    await t.send('MAIL FROM:<>')
    expect((await t.send('RCPT TO:<nobody@mailroom.test>')).text).toBe('550 5.1.1 <nobody@mailroom.test>: Recipient address rejected: User unknown in local recipient table')
    expect((await t.send('RCPT TO:<Postmaster>')).code).toBe(250)
    expect((await t.send('RCPT TO:<alice@LOCALHOST>')).code).toBe(250)
    await t.send('DATA')
    t.write('Subject: bounce-ish\r\n\r\nx\r\n.\r\n')
    expect((await t.read())?.code).toBe(250)
    const [m] = await queued(s.queue)
    expect(m?.sender).toBe('')
    expect(m?.recipients).toEqual(['Postmaster@mailroom.test', 'alice@LOCALHOST'])
  })

  it('answers 451 4.3.0 when the local-user check itself fails (try again later), and refuses a malformed address permanently', async () => {
    const s = await setup({ checkLocal: async () => { throw new Error('aliases unreadable') } })
    const t = await s.talk()
    await t.send('HELO x')
    await t.send('MAIL FROM:<bob@example.org>')
    expect((await t.send('RCPT TO:<alice@mailroom.test>')).text).toMatch(/^451 4\.3\.0 <alice@mailroom\.test>: .*aliases unreadable/)
    // smtp-server's own syntax check (501) or ours (553): either way a permanent refusal of that recipient.
    expect([501, 553]).toContain((await t.send('RCPT TO:<a..b@mailroom.test>')).code)
  })

  it('refuses an oversized message with 552 5.3.4 and queues nothing; a SIZE= above the limit is refused at MAIL FROM', async () => {
    const s = await setup()
    const t = await s.talk()
    await t.send('EHLO x')
    expect((await t.send('MAIL FROM:<bob@example.org> SIZE=200000')).code).toBe(552)
    await t.send('MAIL FROM:<bob@example.org>')
    await t.send('RCPT TO:<alice@mailroom.test>')
    await t.send('DATA')
    t.write(`Subject: big\r\n\r\n${`${'x'.repeat(998)}\r\n`.repeat(120)}.\r\n`)
    expect((await t.read())?.text).toBe('552 5.3.4 Message too big for this system (the limit is 100000 bytes)')
    expect(await queued(s.queue)).toEqual([])
  })

  it('answers 452 4.3.1 when the queue is full (queue.maxMessages 1) and leaves the queued message alone', async () => {
    const s = await setup({ maxMessages: 1 })
    const t = await s.talk()
    await t.send('HELO x')
    for (const expected of [250, 452]) {
      await t.send('MAIL FROM:<bob@example.org>')
      await t.send('RCPT TO:<alice@mailroom.test>')
      await t.send('DATA')
      t.write('Subject: one\r\n\r\nx\r\n.\r\n')
      const reply = await t.read()
      expect(reply?.code).toBe(expected)
      if (expected === 452) expect(reply?.text).toMatch(/^452 4\.3\.1 Insufficient system storage: The outbox is full/)
    }
    expect(await queued(s.queue)).toHaveLength(1)
  })

  it('answers 451 4.3.0 when the spool cannot be written, and 554 5.6.0 for a line over 998 octets', async () => {
    const s = await setup({ submit: async () => { throw new AppError('SPOOL_IO', 'The message could not be written to the outbox: EIO') } })
    const t = await s.talk()
    await t.send('HELO x')
    await t.send('MAIL FROM:<bob@example.org>')
    await t.send('RCPT TO:<alice@mailroom.test>')
    await t.send('DATA')
    t.write('Subject: x\r\n\r\nx\r\n.\r\n')
    expect((await t.read())?.text).toMatch(/^451 4\.3\.0 Local error in processing, try again later: .*EIO/)
    const s2 = await setup()
    const t2 = await s2.talk()
    await t2.send('HELO x')
    await t2.send('MAIL FROM:<bob@example.org>')
    await t2.send('RCPT TO:<alice@mailroom.test>')
    await t2.send('DATA')
    t2.write(`Subject: x\r\n\r\n${'y'.repeat(1200)}\r\n.\r\n`)
    expect((await t2.read())?.text).toMatch(/^554 5\.6\.0 Message refused: line 3 is 1200 octets long/)
    expect(await queued(s2.queue)).toEqual([])
  })

  it('refuses a message that already has too many Received: lines (a loop) with 554 5.4.6', async () => {
    const s = await setup({ maxReceived: 3 })
    const t = await s.talk()
    await t.send('HELO x')
    await t.send('MAIL FROM:<bob@example.org>')
    await t.send('RCPT TO:<alice@mailroom.test>')
    await t.send('DATA')
    t.write(`${'Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n'.repeat(3)}Subject: loop\r\n\r\nx\r\n.\r\n`)
    expect((await t.read())?.text).toMatch(/^554 5\.4\.6 Too many hops/)
  })

  for (const request of ['GET / HTTP/1.1', 'POST /submit HTTP/1.0', 'CONNECT mail.example:25 HTTP/1.1']) {
    it(`answers "${request}" as the first line with 554 and closes the connection`, async () => {
      const s = await setup()
      const t = await SmtpTalk.open(s.port)
      // A browser talks first, before the greeting.
      t.write(`${request}\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\n\r\nMAIL`)
      let reply = await t.read()
      // The greeting may have gone out before the request arrived; nothing else may.
      if (reply?.code === 220) reply = await t.read()
      expect(reply?.text).toBe('554 5.7.0 This is an SMTP server, not a web server: HTTP requests are refused')
      expect(await t.whenClosed()).toBe(true)
      expect(t.transcript).toMatch(/^(220 [^\r\n]*\r\n)?554 5\.7\.0 This is an SMTP server, not a web server: HTTP requests are refused\r\n$/)
      expect(s.log.lines.join('\n')).toMatch(/rejected: HTTP/)
    })
  }

  it('answers an HTTP request after the greeting the same way', async () => {
    const s = await setup()
    const t = await s.talk()
    t.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    expect((await t.read())?.code).toBe(554)
    expect(await t.whenClosed()).toBe(true)
  })
})

describe('loopback listener: shutdown', () => {
  it('tells an idle client 421 4.3.2 and closes at once; a message being committed still gets its 250 first', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    const s = await setup({ submit: async () => { await gate; return { id: 'GATED' } } })
    const idle = await s.talk()
    const busy = await s.talk()
    await busy.send('HELO x')
    await busy.send('MAIL FROM:<bob@example.org>')
    await busy.send('RCPT TO:<alice@mailroom.test>')
    await busy.send('DATA')
    busy.write('Subject: x\r\n\r\nx\r\n.\r\n')
    await new Promise((r) => setTimeout(r, 50))
    const started = Date.now()
    const closing = s.listener.close()
    await new Promise((r) => setTimeout(r, 100))
    release()
    expect((await busy.read())?.text).toBe('250 2.0.0 Ok: queued as GATED')
    expect((await idle.read())?.text).toBe('421 4.3.2 Service shutting down, closing the connection')
    await closing
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(await idle.whenClosed()).toBe(true)
  })
})

describe('loopback listener: IPv6 and the real socket owner', () => {
  it('listens on ::1 too and finds our own uid in /proc/net/tcp6 for a client there (relay allowed without AUTH)', async (ctx) => {
    const probe = await import('node:net').then((net) => new Promise<boolean>((resolve) => {
      const s = net.createServer().once('error', () => resolve(false)).listen(0, '::1', () => s.close(() => resolve(true)))
    }))
    if (!probe || process.platform !== 'linux') return ctx.skip()
    const { peerUid } = await import('../../../src/main/listener/peer-uid')
    const s = await setup({ hosts: ['127.0.0.1', '::1'], relay: { ownUser: true, ownUid: process.getuid?.() ?? null, users: [] }, peerUid })
    expect(s.listener.addresses).toEqual([{ host: '127.0.0.1', port: s.port }, { host: '::1', port: s.port }])
    for (const host of ['::1', '127.0.0.1']) {
      const t = await SmtpTalk.open(s.port, host)
      expect((await t.read())?.code).toBe(220)
      await t.send('EHLO v6.test')
      await t.send('MAIL FROM:<me@mailroom.test>')
      expect((await t.send('RCPT TO:<far@remote.example>')).code).toBe(250)
      t.close()
    }
  })
})

describe('loopback listener: a client that goes away', () => {
  it('queues nothing when the connection drops in the middle of DATA, and keeps serving others', async () => {
    const s = await setup()
    const t = await s.talk()
    await t.send('HELO x')
    await t.send('MAIL FROM:<bob@example.org>')
    await t.send('RCPT TO:<alice@mailroom.test>')
    await t.send('DATA')
    t.write('Subject: half\r\n\r\nhalf a mess')
    await new Promise((r) => setTimeout(r, 50))
    t.socket.destroy()
    await new Promise((r) => setTimeout(r, 100))
    expect(await queued(s.queue)).toEqual([])
    const next = await s.talk()
    expect((await next.send('HELO y')).code).toBe(250)
    expect(s.log.lines.join('\n')).not.toMatch(/queued as/)
  })
})

describe('loopback listener: STARTTLS with a configured certificate', () => {
  it('offers STARTTLS only with listener.tls, upgrades, and writes ESMTPS with the cipher in Received:', async (ctx) => {
    const { execFileSync } = await import('node:child_process')
    const { mkdtemp } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const tls = await import('node:tls')
    let key: Buffer
    let cert: Buffer
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-tls-'))
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=mailroom.test'], { stdio: 'ignore' })
      key = await readFile(join(dir, 'k.pem'))
      cert = await readFile(join(dir, 'c.pem'))
    } catch {
      return ctx.skip()
    }
    const s = await setup({ tls: { key, cert } })
    const t = await s.talk()
    expect((await t.send('EHLO client.test')).text).toContain('STARTTLS')
    expect((await t.send('STARTTLS')).code).toBe(220)
    const secure = tls.connect({ socket: t.socket, rejectUnauthorized: false, servername: 'mailroom.test' })
    await new Promise((resolve) => secure.once('secureConnect', resolve))
    let buffer = ''
    secure.on('data', (d: Buffer) => (buffer += d.toString()))
    const reply = async (line: string): Promise<string> => {
      const before = buffer.length
      secure.write(`${line}\r\n`)
      for (let i = 0; i < 200 && !/^\d{3} .*\r\n/m.test(buffer.slice(before)); i++) await new Promise((r) => setTimeout(r, 10))
      return buffer.slice(before)
    }
    expect(await reply('EHLO client.test')).toMatch(/^250[ -]/)
    await reply('MAIL FROM:<bob@example.org>')
    await reply('RCPT TO:<alice@mailroom.test>')
    expect(await reply('DATA')).toMatch(/^354/)
    const done = await reply('Subject: secret\r\n\r\nx\r\n.')
    const id = /queued as (\S+)/.exec(done)?.[1] as string
    expect(await dataOf(s.queue, id)).toMatch(/with ESMTPS \(using TLSv1\.[23] with cipher [A-Z0-9_-]+\)\r\n\tfor <alice@mailroom\.test>;/)
    // After STARTTLS smtp-server resets session.user to false: that must not count as authenticated (no relay).
    await reply('MAIL FROM:<bob@example.org>')
    expect(await reply('RCPT TO:<far@remote.example>')).toMatch(/^554 5\.7\.1 <far@remote\.example>: Relay access denied/)
    secure.destroy()
  })
})
