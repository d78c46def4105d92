// Local delivery end to end through the real queue (`mailroom sendmail`, `sendmail -q`): aliases, .forward, programs, loops, bounces, mailq.
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { makeHome, removeHome, requireBuild, runCli } from '../../support/mailroom'
import { describeWithServers } from '../../support/requirements'

const SENDER = 'carol@mailroom.test'

interface QueueEntry { state: string; recipients: Array<{ address: string; state: string; attempts: number; lastReply: { enhanced?: string; text: string } | null }> }

describeWithServers('local delivery through the queue', ['root'], () => {
  let home: string
  const userHome = (name: string): string => join(home, 'users', name)

  beforeAll(() => requireBuild())
  beforeEach(async () => {
    home = await makeHome({ config: { local: { users: ['root', 'alice', 'bob', 'mark', 'carol'].map((name) => ({ name, home: `/will-be-replaced/${name}` })), programTimeout: '20s' } } })
    // The homes live inside MAILROOM_HOME (root's too: the OS user is root, and a config entry overrides its home).
    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as { local: { users: Array<{ name: string; home: string }> } }
    for (const user of config.local.users) {
      user.home = join(home, 'users', user.name)
      await mkdir(user.home, { recursive: true, mode: 0o755 })
    }
    await writeFile(join(home, 'config.json'), JSON.stringify(config, null, 2))
  })
  afterEach(() => removeHome(home))

  async function send(recipients: string[], extraHeaders = ''): Promise<void> {
    const message = `${extraHeaders}From: Carol <${SENDER}>\nTo: ${recipients.join(', ')}\nSubject: local test\nMessage-ID: <t-${Date.now()}@mailroom.test>\n\nHello, local world.\n`
    const result = await runCli(home, ['sendmail', '-f', SENDER, '-i', ...recipients], message)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  }

  async function flush(): Promise<void> {
    const result = await runCli(home, ['sendmail', '-q'])
    expect(result.code, result.stderr).toBe(0)
  }

  async function mailbox(user: string): Promise<string[]> {
    const dir = join(home, 'mail', user, 'Maildir', 'new')
    const names = (await readdir(dir).catch(() => [])).sort()
    return Promise.all(names.map(async (name) => (await readFile(join(dir, name), 'utf8')).replace(/\r?\n[ \t]+/g, ' ')))
  }

  async function mailq(): Promise<QueueEntry[]> {
    return JSON.parse((await runCli(home, ['mailq', '--json'])).stdout) as QueueEntry[]
  }

  async function forward(user: string, text: string, mode = 0o644): Promise<void> {
    const path = join(userHome(user), '.forward')
    await writeFile(path, text)
    await chmod(path, mode)
  }

  /** A test program: saves its stdin and environment in <dir>/<name>.in / .env, then exits with `exit`. */
  async function program(name: string, body = 'exit 0'): Promise<string> {
    const path = join(home, `${name}.sh`)
    await writeFile(path, `#!/bin/sh\ncat > "${home}/${name}.in"\nenv > "${home}/${name}.env"\necho "args: $*"\n${body}\n`, { mode: 0o755 })
    return path
  }

  const bounces = async (): Promise<string[]> => (await mailbox('carol')).filter((m) => m.includes('Mail Delivery System'))

  it('delivers mail for www@localhost into root\'s Maildir through www → webmaster → root', async () => {
    await send(['www@localhost'])
    await flush()
    const [stored, ...more] = await mailbox('root')
    expect(more).toEqual([])
    expect(stored).toMatch(/^Return-Path: <carol@mailroom\.test>\r\nDelivered-To: root@localhost\r\n/)
    expect(stored).toContain('Hello, local world.')
    expect(await mailbox('www')).toEqual([])
    expect(await mailbox('webmaster')).toEqual([])
    expect(await mailq()).toEqual([])
    expect(await readFile(join(home, 'log', 'maillog'), 'utf8')).toMatch(/to=<www@localhost>, relay=local, .*dsn=2\.0\.0, status=sent/)
  })

  it('bounces an alias loop (5.4.6) into the sender\'s Maildir and leaves the queue empty', async () => {
    await mkdir(join(home, 'etc'), { recursive: true })
    await writeFile(join(home, 'etc', 'aliases'), 'postmaster: root\nloop-a: loop-b\nloop-b: loop-a\n')
    expect((await runCli(home, ['newaliases'])).code).toBe(0)
    await send(['loop-a@localhost'])
    await flush()
    const [dsn, ...more] = await bounces()
    expect(more).toEqual([])
    expect(dsn).toMatch(/Final-Recipient: rfc822; ?loop-a@localhost/)
    expect(dsn).toMatch(/Status: 5\.4\.6/)
    expect(dsn).toMatch(/loop-a → loop-b → loop-a/)
    expect(await mailq()).toEqual([])
  })

  it('bounces a .forward loop (alice → bob → alice), delivering nothing', async () => {
    await forward('alice', 'bob\n')
    await forward('bob', 'alice@mailroom.test\n')
    await send(['alice@mailroom.test'])
    await flush()
    const [dsn] = await bounces()
    expect(dsn).toMatch(/Status: 5\.4\.6/)
    expect(await mailbox('alice')).toEqual([])
    expect(await mailbox('bob')).toEqual([])
    expect(await mailq()).toEqual([])
  })

  it('bounces a message that already carries Delivered-To for the recipient (it came round again)', async () => {
    await send(['alice@mailroom.test'], 'Delivered-To: alice@mailroom.test\n')
    await flush()
    const [dsn] = await bounces()
    expect(dsn).toMatch(/Status: 5\.4\.6/)
    expect(dsn).toContain('mail forwarding loop for alice@mailroom.test')
    expect(await mailbox('alice')).toEqual([])
  })

  it('\\user in a .forward delivers to the user\'s own mailbox and stops forwarding there', async () => {
    await forward('alice', '\\alice, bob\n')
    await send(['alice@mailroom.test'])
    await flush()
    const [mine] = await mailbox('alice')
    expect(mine).toMatch(/^Return-Path: <carol@mailroom\.test>\r\nDelivered-To: alice@mailroom\.test\r\n/)
    expect(await mailbox('alice')).toHaveLength(1)
    expect(await mailbox('bob')).toHaveLength(1)
    expect(await mailq()).toEqual([])
  })

  it('the seed\'s `root, "|out-of-office mark"` line delivers to root and runs the program with the message and the local(8) environment', async () => {
    const prog = await program('ooo')
    await forward('mark', `root, "|${prog} mark"\n`)
    await send(['mark@mailroom.test'])
    await flush()
    expect(await mailbox('root')).toHaveLength(1)
    expect(await mailbox('mark')).toEqual([])
    const input = await readFile(join(home, 'ooo.in'), 'utf8')
    expect(input).toMatch(/^Return-Path: <carol@mailroom\.test>\nDelivered-To: mark@mailroom\.test\nFrom: Carol <carol@mailroom\.test>\n/)
    expect(input).not.toContain('\r')
    const env = await readFile(join(home, 'ooo.env'), 'utf8')
    for (const line of ['SENDER=carol@mailroom.test', 'RECIPIENT=mark@mailroom.test', 'USER=mark', 'LOGNAME=mark', `HOME=${userHome('mark')}`, 'LOCAL=mark', 'DOMAIN=mailroom.test', 'EXTENSION=', `MAILROOM_HOME=${home}`, 'PATH=/usr/bin:/bin']) {
      expect(env.split('\n')).toContain(line)
    }
    expect(await mailq()).toEqual([])
  })

  it('defers on program exit 75 (mailq shows it), keeps the mailbox copy, and does not duplicate it on the retry', async () => {
    const flag = join(home, 'ready')
    const prog = await program('busy', `test -e "${flag}" || { echo "vacation database is busy"; exit 75; }`)
    await forward('mark', `\\mark, "|${prog}"\n`)
    await send(['mark@mailroom.test'])
    await flush()
    expect(await mailbox('mark')).toHaveLength(1)
    const [entry] = await mailq()
    expect(entry?.state).toBe('deferred')
    expect(entry?.recipients[0]).toMatchObject({ address: 'mark@mailroom.test', state: 'deferred', attempts: 1, lastReply: { enhanced: '4.3.0' } })
    expect(entry?.recipients[0]?.lastReply?.text).toContain('Command died with status 75')
    expect(entry?.recipients[0]?.lastReply?.text).toContain('vacation database is busy')
    expect((await runCli(home, ['mailq'])).stdout).toContain('mark@mailroom.test')
    expect(await bounces()).toEqual([])

    await writeFile(flag, '')
    await flush()
    expect(await mailq()).toEqual([])
    expect(await mailbox('mark')).toHaveLength(1)
    expect(await readFile(join(home, 'busy.in'), 'utf8')).toContain('Hello, local world.')
    expect(await readdir(join(home, 'var', 'local-delivery'))).toEqual([])
  })

  it('bounces on program exit 1 with the program\'s output in the DSN', async () => {
    const prog = await program('broken', 'echo "cannot parse the rules file" >&2; exit 1')
    await forward('mark', `"|${prog}"\n`)
    await send(['mark@mailroom.test'])
    await flush()
    const [dsn] = await bounces()
    expect(dsn).toMatch(/Status: 5\.3\.0/)
    expect(dsn).toContain('Command died with status 1')
    expect(dsn).toContain('cannot parse the rules file')
    expect(await mailq()).toEqual([])
  })

  it('appends to a /file target in mbox format and runs "|mailroom …" as this Mailroom\'s own CLI without PATH', async () => {
    const mbox = join(userHome('alice'), 'archive.mbox')
    await forward('alice', `${mbox}\n"|mailroom --version > ${userHome('alice')}/version.txt"\n`)
    await send(['alice@mailroom.test'])
    await send(['alice@mailroom.test'], 'X-Second: yes\n')
    await flush()
    expect(await mailq()).toEqual([])
    const text = await readFile(mbox, 'utf8')
    expect(text.match(/^From carol@mailroom\.test \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/gm)).toHaveLength(2)
    expect(text).toMatch(/^Delivered-To: alice@mailroom\.test$/m)
    expect(text.endsWith('Hello, local world.\n\n')).toBe(true)
    expect(await readFile(join(userHome('alice'), 'version.txt'), 'utf8')).toMatch(/^mailroom \d+\.\d+\.\d+\n$/)
    expect(await mailbox('alice')).toEqual([])
  })

  it('runs the out-of-office line `\\alice, "|mailroom vacation alice"`: alice keeps the mail, carol gets one auto-reply', async () => {
    await mkdir(join(home, 'etc', 'vacation'), { recursive: true })
    await writeFile(join(home, 'etc', 'vacation', 'alice.json'), JSON.stringify({ body: 'I am away until Monday.' }))
    await forward('alice', '\\alice, "|mailroom vacation alice"\n')
    await send(['alice@mailroom.test'])
    await flush()
    await flush() // the reply was queued by the program during the first run
    expect(await mailbox('alice')).toHaveLength(1)
    const replies = (await mailbox('carol')).filter((m) => m.includes('Auto-Submitted: auto-replied'))
    expect(replies).toHaveLength(1)
    expect(replies[0]).toMatch(/^Return-Path: <>\r\n/)
    expect(replies[0]).toContain('I am away until Monday.')
    expect(await mailq()).toEqual([])
  })

  it('ignores a world-writable .forward (logged) and delivers to the mailbox', async () => {
    await forward('alice', 'bob\n', 0o666)
    await send(['alice@mailroom.test'])
    await flush()
    expect(await mailbox('alice')).toHaveLength(1)
    expect(await mailbox('bob')).toEqual([])
    expect(await mailq()).toEqual([])
    expect(await readFile(join(home, 'log', 'maillog'), 'utf8')).toMatch(/\.forward is ignored: it is world-writable/)
  })
})
