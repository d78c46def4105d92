// The sendmail door's flags and personalities through the built CLI (bin/mailroom) in a temp MAILROOM_HOME; no servers needed.
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BIN, makeHome, removeHome, requireBuild, runCli, spoolFiles } from '../../support/mailroom'

interface QueuedEnvelope {
  id: string
  sender: string
  dsn?: { notify?: string[]; ret?: string; envid?: string }
  recipients: Array<{ address: string }>
}

async function onlyEnvelope(home: string): Promise<{ envelope: QueuedEnvelope; data: string }> {
  const [name] = await spoolFiles(home, 'queued')
  expect(name).toBeDefined()
  const envelope = JSON.parse(await readFile(join(home, 'spool', 'queued', name as string), 'utf8')) as QueuedEnvelope
  const data = await readFile(join(home, 'spool', 'data', envelope.id), 'latin1')
  return { envelope, data }
}

function runAs(name: string, home: string, args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-link-'))
    await symlink(BIN, join(dir, name))
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [join(dir, name), ...args], { env: { ...process.env, MAILROOM_HOME: home } })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      child.on('close', (code) => resolve({ code, stdout, stderr }))
      child.stdin.end(input)
    })
  })()
}

describe('mailroom sendmail flags (built CLI)', () => {
  let home: string
  beforeAll(() => requireBuild())
  beforeEach(async () => {
    home = await makeHome({ config: { localDomains: ['lan.test'] } })
  })
  afterEach(() => removeHome(home))

  it('-t takes To/Cc/Bcc, adds the command-line recipients, and removes Bcc from the message', async () => {
    const result = await runCli(home, ['sendmail', '-t', '-i', 'extra@remote.test'], 'To: a@remote.test\nCc: b@remote.test\nBcc: secret@remote.test\nSubject: t\n\nbody\n')
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const { envelope, data } = await onlyEnvelope(home)
    expect(envelope.recipients.map((r) => r.address).sort()).toEqual(['a@remote.test', 'b@remote.test', 'extra@remote.test', 'secret@remote.test'])
    expect(data).not.toMatch(/^Bcc:/im)
    expect(data).not.toContain('secret@remote.test')
  })

  it('-f sets the envelope sender, -F names the From it adds, and Date/Message-ID are added', async () => {
    expect((await runCli(home, ['sendmail', '-f', 'bounces@mailroom.test', '-F', 'Cron Daemon', 'bob@remote.test'], 'Subject: s\n\nx\n')).code).toBe(0)
    const { envelope, data } = await onlyEnvelope(home)
    expect(envelope.sender).toBe('bounces@mailroom.test')
    expect(data).toMatch(/^From: Cron Daemon <bounces@mailroom\.test>\r$/m)
    expect(data).toMatch(/^Date: \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r$/m)
    expect(data).toMatch(/^Message-ID: <[^>]+@mailroom\.test>\r$/m)
  })

  it('without -i a line with a single dot ends the message; with -i it is kept', async () => {
    expect((await runCli(home, ['sendmail', 'bob@remote.test'], 'Subject: a\n\nbefore\n.\nafter\n')).code).toBe(0)
    expect((await onlyEnvelope(home)).data).not.toContain('after')
    await removeHome(home)
    home = await makeHome()
    expect((await runCli(home, ['sendmail', '-oi', 'bob@remote.test'], 'Subject: a\n\nbefore\n.\nafter\n')).code).toBe(0)
    expect((await onlyEnvelope(home)).data).toContain('before\r\n.\r\nafter\r\n')
  })

  it('-N, -R and -V become the DSN options of the envelope', async () => {
    expect((await runCli(home, ['sendmail', '-N', 'failure,delay', '-R', 'hdrs', '-V', 'env-42', 'bob@remote.test'], 'Subject: d\n\nx\n')).code).toBe(0)
    expect((await onlyEnvelope(home)).envelope.dsn).toEqual({ notify: ['FAILURE', 'DELAY'], ret: 'HDRS', envid: 'env-42' })
  })

  it('keeps 8-bit content byte for byte and turns bare CR and LF into CRLF', async () => {
    const body = Buffer.concat([Buffer.from('Subject: 8\r\n\r\nline1\rline2\nGr'), Buffer.from([0xfc, 0xdf]), Buffer.from('e\r\n')])
    const child = spawn(process.execPath, [BIN, 'sendmail', 'bob@remote.test'], { env: { ...process.env, MAILROOM_HOME: home } })
    child.stdin.end(body)
    expect(await new Promise((r) => child.on('close', r))).toBe(0)
    const { data } = await onlyEnvelope(home)
    expect(data).toContain('line1\r\nline2\r\nGr\xfc\xdfe\r\n')
  })

  it.each([
    { args: ['sendmail', '-n', 'bob@remote.test'], code: 64, says: '-n option not supported' },
    { args: ['sendmail', '-bp', 'bob@remote.test'], code: 64, says: 'display queue mode requires no recipient' },
    { args: ['sendmail', '-t', '-bv'], code: 64, says: '-t' },
    { args: ['sendmail', '-B', 'UTF8', 'bob@remote.test'], code: 64, says: '-B option needs 8BITMIME or 7BIT' },
    { args: ['sendmail', 'bob@remote.test'], input: `Subject: x\n\n${'y'.repeat(999)}\n`, code: 65, says: 'RFC 5322 allows at most 998' }
  ])('refuses $args with exit $code and queues nothing', async ({ args, input, code, says }) => {
    const result = await runCli(home, args, input ?? 'Subject: x\n\nbody\n')
    expect(result.code).toBe(code)
    expect(result.stderr).toContain(says)
    expect(await spoolFiles(home, 'queued')).toEqual([])
  })

  it('exits 0 at once for -bh and -q15m (as Postfix), queueing nothing', async () => {
    for (const args of [['sendmail', '-bh'], ['sendmail', '-q15m', 'bob@remote.test']]) {
      const result = await runCli(home, args, 'Subject: x\n\nbody\n')
      expect(result).toMatchObject({ code: 0, stderr: '' })
    }
    expect(await spoolFiles(home, 'queued')).toEqual([])
  })

  it('warns about ignored options it cannot honour but still queues', async () => {
    const result = await runCli(home, ['sendmail', '-C', '/etc/postfix', '-odb', 'bob@remote.test'], 'Subject: x\n\nbody\n')
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('mailroom sendmail: warning: -C /etc/postfix: Mailroom reads its configuration from MAILROOM_HOME/config.json -- ignored\n')
    expect(await spoolFiles(home, 'queued')).toHaveLength(1)
  })

  it('-bv says where each address would go, and exits 67 when one is invalid or unknown; nothing is read or queued', async () => {
    const me = userInfo().username
    const good = await runCli(home, ['sendmail', '-bv', 'bob@remote.test', me])
    expect(good.code).toBe(0)
    expect(good.stdout).toBe([
      'bob@remote.test... deliverable: mailer esmtp, host remote.test, user bob@remote.test',
      `${me}@mailroom.test... deliverable: mailer local, user ${me}`,
      ''
    ].join('\n'))
    const unknown = await runCli(home, ['sendmail', '-bv', 'carol@lan.test'])
    expect(unknown).toMatchObject({ code: 67, stdout: 'carol@lan.test... User unknown (carol is neither a local user nor an alias)\n' })
    const bad = await runCli(home, ['sendmail', '-bv', 'bob@remote.test', 'bob@@remote.test'])
    expect(bad.code).toBe(67)
    expect(bad.stdout).toMatch(/^bob@@remote\.test\.\.\. User unknown \(syntax error: /m)
    expect((await runCli(home, ['sendmail', '-bv'])).code).toBe(64)
    expect(await spoolFiles(home, 'queued')).toEqual([])
  })

  it('newaliases (link name, subcommand, -bi, -I) compiles etc/aliases (the default file on first use) and exits 0', async () => {
    for (const result of [await runAs('newaliases', home, []), await runCli(home, ['newaliases']), await runCli(home, ['sendmail', '-bi']), await runCli(home, ['sendmail', '-I'])]) {
      expect(result.code).toBe(0)
      expect(result.stderr).toMatch(/etc\/aliases: \d+ aliases, longest \d+ bytes, \d+ bytes total\n$/)
    }
    expect((await runAs('newaliases', home, ['bob@remote.test'])).code).toBe(64)
  })

  it('a link named sendmail submits, one named mailq lists (also with sendmail options)', async () => {
    expect((await runAs('sendmail', home, ['-t'], 'To: bob@remote.test\nSubject: link\n\nx\n')).code).toBe(0)
    const listed = await runAs('mailq', home, [])
    expect(listed.stdout).toMatch(/-- \d+ Kbytes in 1 Request\./)
    expect((await runAs('mailq', home, ['-v'])).stdout).toBe(listed.stdout)
  })

  it('refuses an invalid config.json with exit 78 even right after a run that cached the valid one', async () => {
    expect((await runCli(home, ['sendmail', 'bob@remote.test'], 'Subject: x\n\nx\n')).code).toBe(0)
    expect(await readdir(join(home, 'run'))).toContain('config-checked.json')
    await writeFile(join(home, 'config.json'), JSON.stringify({ hostname: 'mailroom.test', queue: { maxMessages: 0 } }))
    const result = await runCli(home, ['sendmail', 'bob@remote.test'], 'Subject: x\n\nx\n')
    expect(result.code).toBe(78)
    expect(result.stderr).toContain('queue.maxMessages')
    expect(await spoolFiles(home, 'queued')).toHaveLength(1)
  })
})
