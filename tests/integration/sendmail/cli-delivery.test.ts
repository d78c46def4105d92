// The sendmail door end to end: CLI commit to the spool, `sendmail -q` delivering by MX (found through dnsmasq) to a real Postfix.
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { stopAll } from '../../support/cleanup'
import type { DnsInstance } from '../../support/dnsmasq'
import { BIN, makeHome, removeHome, requireBuild, runCli, spoolFiles } from '../../support/mailroom'
import type { PostfixInstance } from '../../support/postfix'
import { describeWithServers } from '../../support/requirements'
import { startRemoteMx } from '../../support/world'

const message = (to: string, subject = 'Walking skeleton'): string =>
  `From: Alice <alice@mailroom.test>\nTo: ${to}\nSubject: ${subject}\n\nHello from the sendmail door.\n`

describeWithServers('sendmail → spool → direct MX delivery to Postfix', ['root', 'postfix', 'dnsmasq'], () => {
  let dns: DnsInstance
  let postfix: PostfixInstance
  let home: string

  beforeAll(async () => {
    requireBuild()
    ;({ dns, postfix } = await startRemoteMx({ 'later@remote.test': '450 4.2.0 try again later' }))
  })
  afterAll(() => stopAll())
  beforeEach(async () => {
    home = await makeHome({ dnsServer: dns.server })
    await postfix.clearMessages()
  })
  afterEach(() => removeHome(home))

  it('exits 0 only with the message committed, then `sendmail -q` delivers it to the MX with Delivered-To', async () => {
    const submitted = await runCli(home, ['sendmail', '-t', '-i'], message('Bob <bob@remote.test>'))
    expect(submitted.stderr).toBe('')
    expect(submitted.code).toBe(0)
    const [envelope] = await spoolFiles(home, 'queued')
    expect(envelope).toMatch(/^[0-9A-Z]+\.json$/)
    expect(await spoolFiles(home, 'data')).toEqual([envelope?.replace('.json', '')])
    expect(await spoolFiles(home, 'tmp')).toEqual([])

    const mailq = await runCli(home, ['mailq'])
    expect(mailq.stdout).toContain(envelope?.replace('.json', ''))
    expect(mailq.stdout).toContain('bob@remote.test')
    expect(mailq.stdout).toMatch(/-- \d+ Kbytes in 1 Request\./)

    const flushed = await runCli(home, ['sendmail', '-q'])
    expect(flushed.code).toBe(0)
    const [delivered] = await postfix.waitForMessages(1)
    expect(delivered?.raw).toMatch(/^Delivered-To: bob@remote\.test$/m)
    expect(delivered?.raw).toContain('Subject: Walking skeleton')
    expect(delivered?.raw).toMatch(/^Message-ID: <[^>]+@mailroom\.test>$/m)
    expect(delivered?.raw).toContain('Hello from the sendmail door.')
    expect(await spoolFiles(home, 'queued')).toEqual([])
    expect(await spoolFiles(home, 'deferred')).toEqual([])
    expect(await spoolFiles(home, 'data')).toEqual([])
    const maillog = await readFile(join(home, 'log', 'maillog'), 'utf8')
    expect(maillog).toMatch(/to=<bob@remote\.test>, relay=mx\.remote\.test\[127\.0\.0\.2\]:25, delay=[\d.]+, dsn=2\.0\.0, status=sent/)
    expect((await runCli(home, ['mailq'])).stdout).toBe('Mail queue is empty\n')
  })

  it('keeps a recipient that got 450 deferred with the reply recorded, and delivers the others', async () => {
    expect((await runCli(home, ['sendmail', '-t', '-i'], message('bob@remote.test, later@remote.test'))).code).toBe(0)
    expect((await runCli(home, ['sendmail', '-q'])).code).toBe(0)
    const [delivered] = await postfix.waitForMessages(1)
    expect(delivered?.raw).toMatch(/^Delivered-To: bob@remote\.test$/m)
    expect(await spoolFiles(home, 'deferred')).toHaveLength(1)
    const queue = JSON.parse((await runCli(home, ['mailq', '--json'])).stdout) as Array<{ state: string; recipients: Array<{ address: string; state: string; attempts: number; lastReply: { code?: number; text: string } | null; nextAttemptAt: number | null }> }>
    expect(queue).toHaveLength(1)
    expect(queue[0]?.state).toBe('deferred')
    const later = queue[0]?.recipients.find((r) => r.address === 'later@remote.test')
    expect(later).toMatchObject({ state: 'deferred', attempts: 1 })
    expect(later?.lastReply?.code).toBe(450)
    expect(later?.lastReply?.text).toContain('try again later')
    expect(later?.nextAttemptAt).toBeGreaterThan(Date.now())
    expect(queue[0]?.recipients.find((r) => r.address === 'bob@remote.test')?.state).toBe('sent')
    const human = (await runCli(home, ['mailq'])).stdout
    expect(human).toContain('later@remote.test')
    expect(human).not.toMatch(/^\s+bob@remote\.test$/m)
  })

  it.each([
    { name: 'an invalid recipient', args: ['sendmail', 'bob@@remote.test'], input: 'Subject: x\n\nbody\n', code: 64, says: 'is not a valid address' },
    { name: 'an invalid address in To with -t', args: ['sendmail', '-t'], input: 'To: bob smith@remote.test\n\nbody\n', code: 64, says: 'To header' },
    { name: 'a message without headers with -t', args: ['sendmail', '-t'], input: 'no headers here at all\n', code: 64, says: 'no recipient addresses found in message header' },
    { name: 'a line over 998 octets', args: ['sendmail', 'bob@remote.test'], input: `Subject: x\n\n${'y'.repeat(1200)}\n`, code: 65, says: 'RFC 5322 allows at most 998' },
    { name: 'an unknown option', args: ['sendmail', '-Z', 'bob@remote.test'], input: '', code: 64, says: "invalid option -- 'Z'" },
    { name: 'no recipients at all', args: ['sendmail'], input: 'Subject: x\n\nbody\n', code: 64, says: 'no recipients' }
  ])('refuses $name with exit $code and queues nothing', async ({ args, input, code, says }) => {
    const result = await runCli(home, args, input)
    expect(result.code).toBe(code)
    expect(result.stderr).toContain(says)
    expect(result.stderr.split('\n')[0]).toMatch(/^mailroom sendmail: /)
    expect(await spoolFiles(home, 'queued')).toEqual([])
    expect(await spoolFiles(home, 'data')).toEqual([])
  })

  it('refuses to run on an invalid config.json, naming the key and the reason (exit 78)', async () => {
    await writeFile(join(home, 'config.json'), JSON.stringify({ dns: { servers: ['bogus'] } }))
    const result = await runCli(home, ['sendmail', 'bob@remote.test'], 'Subject: x\n\nbody\n')
    expect(result.code).toBe(78)
    expect(result.stderr).toContain('dns.servers.0: not an IP address')
    expect(await spoolFiles(home, 'queued')).toEqual([])
  })

  it('accepts a body-only message with command-line recipients and adds the headers', async () => {
    const result = await runCli(home, ['sendmail', 'bob@remote.test'], 'just a line from cron\n')
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('warning: the message has no header section')
    expect((await runCli(home, ['sendmail', '-q'])).code).toBe(0)
    const [delivered] = await postfix.waitForMessages(1)
    // The full name comes from the passwd GECOS field, as with Postfix.
    expect(delivered?.raw).toMatch(/^From: (.+ <\S+@mailroom\.test>|\S+@mailroom\.test)$/m)
    expect(delivered?.raw).toMatch(/^Date: /m)
    expect(delivered?.raw).toContain('just a line from cron')
  })

  it('acts as mailq when invoked through a link named mailq', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-link-'))
    await symlink(BIN, join(dir, 'mailq'))
    const output = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [join(dir, 'mailq')], { env: { ...process.env, MAILROOM_HOME: home } })
      let text = ''
      child.stdout.on('data', (d: Buffer) => (text += d.toString()))
      child.on('close', () => resolve(text))
    })
    expect(output).toBe('Mail queue is empty\n')
  })
})
