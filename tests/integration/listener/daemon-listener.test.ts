// `mailroom daemon` runs the loopback listener: a telnet session lands in the local Maildir, relay only for our own OS user, 452 when full.
import { spawn, type ChildProcess } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { systemUser } from '../../../src/main/local/users'
import { BIN, makeHome, removeHome, requireBuild, runCli } from '../../support/mailroom'
import { freePort, freeTcpUdpPort } from '../../support/ports'
import { pollUntil } from '../../support/proc'
import { describeWithServers } from '../../support/requirements'
import { SmtpTalk } from '../../support/smtp-talk'

interface Daemon {
  child: ChildProcess
  stderr(): string
  stop(): Promise<number | null>
}

function startDaemon(home: string): Promise<Daemon> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'daemon', '-v'], { env: { ...process.env, MAILROOM_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    const timer = setTimeout(() => reject(new Error(`daemon did not start: ${stderr}`)), 20_000)
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString()
      if (stderr.includes('mailroom daemon: running')) {
        clearTimeout(timer)
        resolve({
          child,
          stderr: () => stderr,
          stop: () => new Promise((done) => {
            if (child.exitCode !== null) return done(child.exitCode)
            child.once('exit', (code) => done(code))
            child.kill('SIGTERM')
          })
        })
      }
    })
    child.once('exit', (code) => reject(new Error(`daemon exited with ${code}: ${stderr}`)))
  })
}

/** A client running as nobody (uid 65534): one RCPT to a remote address, the reply printed on stdout. */
function rcptAsNobody(port: number): Promise<string> {
  const script = `
    const s = require('net').connect(${port}, '127.0.0.1'); let buf = ''; let step = 0
    const lines = ['EHLO nobody.test', 'MAIL FROM:<nobody@mailroom.test>', 'RCPT TO:<friend@remote.example>', 'QUIT']
    s.on('data', (d) => { buf += d; const replies = buf.split('\\r\\n').filter((l) => /^\\d{3} /.test(l))
      while (step < replies.length && step < lines.length) s.write(lines[step++] + '\\r\\n')
      if (replies.length >= 4 && step === lines.length) { process.stdout.write(replies[3]); step++; s.end() } })`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.once('exit', () => resolve(out))
    child.once('error', reject)
  })
}

async function transaction(t: SmtpTalk, from: string, to: string, body: string): Promise<string> {
  expect((await t.send(`MAIL FROM:<${from}>`)).code).toBe(250)
  const rcpt = await t.send(`RCPT TO:<${to}>`)
  if (rcpt.code !== 250) return rcpt.text
  expect((await t.send('DATA')).code).toBe(354)
  for (const line of body.split('\n')) t.write(`${line}\r\n`)
  return (await t.send('.')).text
}

describeWithServers('mailroom daemon: the loopback SMTP listener', ['root'], () => {
  let home: string
  let port: number
  let daemon: Daemon
  const me = systemUser().name

  beforeAll(async () => {
    requireBuild()
    port = await freePort()
    // A DNS server nobody answers on: remote mail stays deferred in the queue instead of leaving it.
    const deadDns = await freeTcpUdpPort()
    home = await makeHome({ dnsServer: `127.0.0.1:${deadDns}`, config: { listener: { port, hosts: ['127.0.0.1'] }, queue: { maxMessages: 2 } } })
    daemon = await startDaemon(home)
  })
  afterAll(async () => {
    await daemon?.stop()
    await removeHome(home)
  })

  it('logs where it listens', async () => {
    await pollUntil(async () => daemon.stderr().includes(`listening on 127.0.0.1:${port}`), 5_000, () => `no listener line in:\n${daemon.stderr()}`)
  })

  it('takes a session typed as in telnet for the local user and delivers it into the Maildir with a Received: line', async () => {
    const t = await SmtpTalk.open(port)
    expect((await t.read())?.text).toMatch(/^220 mailroom\.test ESMTP Mailroom/)
    expect((await t.send('HELO workstation')).code).toBe(250)
    const reply = await transaction(t, 'script@mailroom.test', `${me}@mailroom.test`, 'Subject: cron says hi\n\nAll is well.')
    expect(reply).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]{20}$/)
    expect((await t.send('QUIT')).code).toBe(221)
    const newDir = join(home, 'mail', me, 'Maildir', 'new')
    let files: string[] = []
    await pollUntil(async () => (files = await readdir(newDir).catch(() => [])).length > 0, 15_000, () => `nothing in ${newDir}; daemon:\n${daemon.stderr()}`)
    const delivered = await readFile(join(newDir, files[0] as string), 'utf8')
    expect(delivered).toMatch(/Received: from workstation \(localhost \[127\.0\.0\.1\]\)\r?\n\tby mailroom\.test \(Mailroom\) with SMTP/)
    expect(delivered).toContain('Subject: cron says hi')
    const maillog = await readFile(join(home, 'log', 'maillog'), 'utf8')
    expect(maillog).toMatch(/mailroom\/listener\[\d+\]: [0-9A-Z]{20}: client=localhost\[127\.0\.0\.1\]:\d+, from=<script@mailroom\.test>/)
  })

  it('refuses an unknown local user at RCPT time', async () => {
    const t = await SmtpTalk.open(port)
    await t.read()
    await t.send('EHLO x')
    expect(await transaction(t, 'script@mailroom.test', 'no-such-user@mailroom.test', 'x')).toMatch(/^550 5\.1\.1 /)
    t.close()
  })

  it('relays for a client of our own OS user, refuses one running as nobody with 554 5.7.1, and answers 452 4.3.1 once the queue is full', async () => {
    const t = await SmtpTalk.open(port)
    await t.read()
    await t.send('EHLO x')
    expect(await transaction(t, `${me}@mailroom.test`, 'friend@remote.example', 'Subject: out 1\n\nx')).toMatch(/^250 2\.0\.0 Ok: queued as /)
    expect(await rcptAsNobody(port)).toBe('554 5.7.1 <friend@remote.example>: Relay access denied (authenticate, or send from the user running Mailroom)')
    expect(await transaction(t, `${me}@mailroom.test`, 'friend2@remote.example', 'Subject: out 2\n\nx')).toMatch(/^250 /)
    // queue.maxMessages is 2 and both remote messages wait for DNS: the third is refused, the two stay.
    expect(await transaction(t, `${me}@mailroom.test`, 'friend3@remote.example', 'Subject: out 3\n\nx')).toMatch(/^452 4\.3\.1 Insufficient system storage: The outbox is full/)
    t.close()
    const mailq = await runCli(home, ['mailq'])
    expect(mailq.stdout).toContain('friend@remote.example')
    expect(mailq.stdout).toContain('friend2@remote.example')
    expect(mailq.stdout).not.toContain('friend3@remote.example')
  })

  it('stops listening when the daemon stops, also with a client still connected', async () => {
    const idle = await SmtpTalk.open(port)
    await idle.read()
    const stopped = daemon.stop()
    expect((await idle.read())?.text).toBe('421 4.3.2 Service shutting down, closing the connection')
    expect(await idle.whenClosed()).toBe(true)
    expect(await stopped).toBe(0)
    await expect(SmtpTalk.open(port)).rejects.toThrow(/ECONNREFUSED/)
  })
})
