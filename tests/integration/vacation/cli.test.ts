// `mailroom vacation USER` as a .forward program runs it: plain Node 20, a real spool, the reply database, exit codes;
// then the queued reply goes out from <> to a real Postfix MX.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { stopAll } from '../../support/cleanup'
import { BIN, makeHome, removeHome, requireBuild, runCli, spoolFiles, type CliResult } from '../../support/mailroom'
import type { PostfixInstance } from '../../support/postfix'
import type { DnsInstance } from '../../support/dnsmasq'
import { describeWithServers } from '../../support/requirements'
import { startRemoteMx } from '../../support/world'

/** The delivery agent's Node: plain Node 20 when installed (/usr/bin/node), as on a user's machine. */
const NODE = existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath

function vacation(home: string, args: string[], input: string, env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, MAILROOM_HOME: home, ...env }
    for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key]
    const child = spawn(NODE, [BIN, 'vacation', ...args], { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`mailroom vacation timed out; stderr: ${stderr}`)) }, 30_000)
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
    child.stdin.end(input)
  })
}

const mail = (from: string, extra = ''): string =>
  `Return-Path: <${from}>\nFrom: ${from}\nTo: Alice <alice@mailroom.test>\nSubject: Lunch on Friday?\nMessage-ID: <lunch-${from}@remote.test>\n${extra}\nAre you free?\n`

async function writeRule(home: string, rule: Record<string, unknown>): Promise<void> {
  await mkdir(join(home, 'etc', 'vacation'), { recursive: true })
  await writeFile(join(home, 'etc', 'vacation', 'alice.json'), JSON.stringify(rule))
}

const maillog = (home: string): Promise<string> => readFile(join(home, 'log', 'maillog'), 'utf8').catch(() => '')

describe('mailroom vacation USER (spool only)', () => {
  let home: string
  beforeAll(() => requireBuild())
  beforeEach(async () => {
    home = await makeHome()
    await writeRule(home, { body: 'I am away until Monday.', subject: 'Auto: %s', days: 7 })
  })
  afterEach(() => removeHome(home))

  it('queues one reply from <> for a sender, and none for the second message within :days', async () => {
    const first = await vacation(home, ['alice'], mail('bob@remote.test'), { SENDER: 'bob@remote.test', RECIPIENT: 'alice@mailroom.test' })
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    const queued = await spoolFiles(home, 'queued')
    expect(queued).toHaveLength(1)
    const envelope = JSON.parse(await readFile(join(home, 'spool', 'queued', queued[0] as string), 'utf8')) as { sender: string; recipients: Array<{ address: string }>; subject: string }
    expect(envelope.sender).toBe('')
    expect(envelope.recipients.map((r) => r.address)).toEqual(['bob@remote.test'])
    expect(envelope.subject).toBe('Auto: Lunch on Friday?')
    const data = await readFile(join(home, 'spool', 'data', (queued[0] as string).replace('.json', '')), 'utf8')
    expect(data).toMatch(/^Auto-Submitted: auto-replied\r$/m)
    expect(data).toMatch(/^In-Reply-To: <lunch-bob@remote\.test@remote\.test>\r$/m)

    const second = await vacation(home, ['alice'], mail('bob@remote.test'), { SENDER: 'BOB@remote.test' })
    expect(second.code).toBe(0)
    expect(await spoolFiles(home, 'queued')).toHaveLength(1)
    expect(await maillog(home)).toMatch(/alice: from=<BOB@remote\.test>, status=no reply \(already-replied: /)

    const other = await vacation(home, ['alice'], mail('carol@remote.test'), { SENDER: 'carol@remote.test' })
    expect(other.code).toBe(0)
    expect(await spoolFiles(home, 'queued')).toHaveLength(2)
  })

  it('deliveries running at the same time answer a sender once (the reply database is locked)', async () => {
    const runs = await Promise.all([1, 2, 3, 4].map(() => vacation(home, ['alice'], mail('gina@remote.test'), { SENDER: 'gina@remote.test' })))
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0])
    expect(await spoolFiles(home, 'queued')).toHaveLength(1)
    expect((await maillog(home)).match(/already-replied/g)).toHaveLength(3)
  })

  it('never answers a bounce or a list; says why in the maillog; exit 0', async () => {
    expect((await vacation(home, ['alice'], mail('MAILER-DAEMON@remote.test'), { SENDER: '' })).code).toBe(0)
    expect((await vacation(home, ['alice'], mail('golf@lists.test', 'List-Id: <golf.lists.test>\n'), { SENDER: 'golf-bounces@lists.test' })).code).toBe(0)
    expect(await spoolFiles(home, 'queued')).toEqual([])
    const log = await maillog(home)
    expect(log).toMatch(/status=no reply \(null-sender: /)
    expect(log).toMatch(/status=no reply \(list-header: /)
  })

  it('without $SENDER it answers the Return-Path', async () => {
    const result = await vacation(home, ['alice'], mail('dave@remote.test'), { SENDER: undefined })
    expect(result.code).toBe(0)
    const [queued] = await spoolFiles(home, 'queued')
    const envelope = JSON.parse(await readFile(join(home, 'spool', 'queued', queued as string), 'utf8')) as { recipients: Array<{ address: string }> }
    expect(envelope.recipients[0]?.address).toBe('dave@remote.test')
  })

  it('a full outbox is exit 75 and the sender is not recorded, so the retry answers', async () => {
    await writeFile(join(home, 'config.json'), JSON.stringify({ hostname: 'mailroom.test', queue: { maxMessages: 1 } }))
    expect((await vacation(home, ['alice'], mail('bob@remote.test'), { SENDER: 'bob@remote.test' })).code).toBe(0)
    const full = await vacation(home, ['alice'], mail('erin@remote.test'), { SENDER: 'erin@remote.test' })
    expect(full.code).toBe(75)
    expect(full.stderr).toMatch(/full/i)
    const db = JSON.parse(await readFile(join(home, 'var', 'vacation', 'alice.json'), 'utf8')) as { replies: Record<string, number> }
    expect(Object.keys(db.replies)).toEqual(['bob@remote.test'])
  })

  it('usage errors are 64, an empty message 65; a broken rule is said on stderr but exits 0 (the sender\'s mail must not bounce for it)', async () => {
    const usage = await vacation(home, ['-d', '0', 'alice'], '')
    expect(usage.code).toBe(64)
    expect(usage.stderr).toMatch(/-d wants a whole number of days, at least 1/)
    expect((await vacation(home, ['alice', 'bob'], '')).code).toBe(64)
    const empty = await vacation(home, ['alice'], '', { SENDER: 'bob@remote.test' })
    expect(empty.code).toBe(65)
    expect(empty.stderr).toMatch(/no message on standard input/)
    await writeRule(home, { body: 'x', days: 0 })
    const broken = await vacation(home, ['alice'], mail('bob@remote.test'), { SENDER: 'bob@remote.test' })
    expect(broken.code).toBe(0)
    expect(broken.stderr).toMatch(/alice\.json is invalid: days.*\(no reply sent\)/)
  })

  it('no rule for the user: nothing queued, exit 0, logged', async () => {
    const result = await vacation(home, ['bob'], mail('carol@remote.test'), { SENDER: 'carol@remote.test' })
    expect(result.code).toBe(0)
    expect(await spoolFiles(home, 'queued')).toEqual([])
    expect(await maillog(home)).toMatch(/bob: no reply: no out-of-office rule for bob/)
  })

  it('-d and -a on the command line: -a adds an address of the user', async () => {
    const toWork = mail('frank@remote.test').replace('To: Alice <alice@mailroom.test>', 'To: alice@work.test')
    expect((await vacation(home, ['alice'], toWork, { SENDER: 'frank@remote.test' })).code).toBe(0)
    expect(await spoolFiles(home, 'queued')).toEqual([])
    expect((await vacation(home, ['-a', 'alice@work.test', '-d', '1', 'alice'], toWork, { SENDER: 'frank@remote.test' })).code).toBe(0)
    expect(await spoolFiles(home, 'queued')).toHaveLength(1)
  })
})

describeWithServers('mailroom vacation → spool → Postfix MX', ['root', 'postfix', 'dnsmasq'], () => {
  let dns: DnsInstance
  let postfix: PostfixInstance
  let home: string

  beforeAll(async () => {
    requireBuild()
    ;({ dns, postfix } = await startRemoteMx())
    home = await makeHome({ dnsServer: dns.server })
    await writeRule(home, { body: 'Je suis absente — à lundi.', subject: 'Auto: %s', days: 7, from: 'Alice <alice@mailroom.test>' })
  })
  afterAll(async () => {
    await stopAll()
    await removeHome(home)
  })

  it('the reply arrives with an empty Return-Path, Auto-Submitted and the thread headers', async () => {
    expect((await vacation(home, ['alice'], mail('bob@remote.test'), { SENDER: 'bob@remote.test' })).code).toBe(0)
    const flushed = await runCli(home, ['sendmail', '-q'])
    expect(flushed.code).toBe(0)
    const [reply] = await postfix.waitForMessages(1)
    expect(reply?.raw).toMatch(/^Return-Path: <>$/m)
    expect(reply?.raw).toMatch(/^Delivered-To: bob@remote\.test$/m)
    expect(reply?.raw).toMatch(/^Auto-Submitted: auto-replied$/m)
    expect(reply?.raw).toMatch(/^Subject: Auto: Lunch on Friday\?$/m)
    expect(reply?.raw).toMatch(/^In-Reply-To: <lunch-bob@remote\.test@remote\.test>$/m)
    expect(reply?.raw).toMatch(/^From: Alice <alice@mailroom\.test>$/m)
    expect(reply?.raw).toContain('=C3=A0 lundi')
  })
})
