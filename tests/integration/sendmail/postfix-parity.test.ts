// Mailroom's sendmail beside Postfix's real /usr/sbin/sendmail, same input, same flags: Postfix's queue file (postcat, after
// pickup and cleanup) against our spool entry. Compared: exit codes, who gets the message (-t, -t plus arguments), Bcc
// removal, -f, -F, dot handling (-i), the headers added. Where Mailroom differs on purpose, the test pins the difference
// (docs/sendmail.md says why): usage errors exit 64 here and 75 in Postfix, and Postfix quotes a -F name only when needed.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, afterEach, expect, it } from 'vitest'
import { stopAll } from '../../support/cleanup'
import { makeHome, removeHome, requireBuild, runCli, spoolFiles } from '../../support/mailroom'
import { describeWithServers } from '../../support/requirements'
import { startPostfixDrop, type PostfixDrop } from './postfix-drop'

const HOST = 'mailroom.test'

interface Submission {
  code: number | null
  stderr: string
  sender: string
  recipients: string[]
  headers: Map<string, string[]>
  body: string
}

function parseContent(content: string): { headers: Map<string, string[]>; body: string } {
  const text = content.replace(/\r\n/g, '\n')
  const split = text.indexOf('\n\n')
  const head = split < 0 ? text : text.slice(0, split)
  const headers = new Map<string, string[]>()
  for (const field of head.split(/\n(?![ \t])/)) {
    const colon = field.indexOf(':')
    if (colon < 0) continue
    const name = field.slice(0, colon).toLowerCase()
    headers.set(name, [...(headers.get(name) ?? []), field.slice(colon + 1).replace(/\n[ \t]+/g, ' ').trim()])
  }
  return { headers, body: split < 0 ? '' : text.slice(split + 2) }
}

/** "Cron Daemon <x@y>" and "\"Cron Daemon\" <x@y>" are the same mailbox. */
const mailbox = (value: string | undefined): string => (value ?? '').replace(/^"(.*)"(\s*<)/, '$1$2')
const sorted = (list: string[]): string[] => [...list].map((a) => a.toLowerCase()).sort()

describeWithServers('sendmail parity with Postfix', ['root', 'postfix'], () => {
  let postfix: PostfixDrop
  let home: string

  beforeAll(async () => {
    requireBuild()
    postfix = await startPostfixDrop(HOST)
  })
  afterAll(() => stopAll())
  beforeEach(async () => {
    home = await makeHome()
  })
  afterEach(() => removeHome(home))

  async function theirs(args: string[], input: string): Promise<Submission> {
    const result = await postfix.sendmail(args, input)
    const q = result.queued
    if (q === null) return { code: result.code, stderr: result.stderr, sender: '', recipients: [], headers: new Map(), body: '' }
    return { code: result.code, stderr: result.stderr, sender: q.sender, recipients: q.recipients, ...parseContent(q.content) }
  }

  async function ours(args: string[], input: string): Promise<Submission> {
    const result = await runCli(home, ['sendmail', ...args], input)
    const [name] = await spoolFiles(home, 'queued')
    if (result.code !== 0 || name === undefined) return { code: result.code, stderr: result.stderr, sender: '', recipients: [], headers: new Map(), body: '' }
    const envelope = JSON.parse(await readFile(join(home, 'spool', 'queued', name), 'utf8')) as { id: string; sender: string; recipients: Array<{ address: string }> }
    const data = await readFile(join(home, 'spool', 'data', envelope.id), 'latin1')
    return { code: result.code, stderr: result.stderr, sender: envelope.sender, recipients: envelope.recipients.map((r) => r.address), ...parseContent(data) }
  }

  const plain = 'From: Alice <alice@mailroom.test>\nTo: a@remote.test\nCc: Bee <b@remote.test>\nBcc: secret@remote.test\nSubject: parity\n\nbody line\n'

  it.each([
    { name: '-t reads To, Cc and Bcc', args: ['-t'], input: plain },
    { name: '-t adds the command-line recipients to the header ones', args: ['-t', 'extra@remote.test'], input: plain },
    { name: 'without -t only the command-line recipients count', args: ['only@remote.test'], input: plain },
    { name: '-f sets the envelope sender', args: ['-f', 'bounces@mailroom.test', 'x@remote.test'], input: plain },
    { name: '-t -i -f together (the cron/mailx call)', args: ['-t', '-i', '-f', 'cron@mailroom.test'], input: plain }
  ])('same envelope and headers: $name', async ({ args, input }) => {
    const [p, m] = [await theirs(args, input), await ours(args, input)]
    expect(m.code).toBe(0)
    expect(p.code).toBe(0)
    expect(sorted(m.recipients)).toEqual(sorted(p.recipients))
    expect(m.sender).toBe(p.sender)
    for (const name of ['to', 'cc', 'subject', 'from']) expect(m.headers.get(name), name).toEqual(p.headers.get(name))
    expect(m.headers.has('bcc')).toBe(false)
    expect(p.headers.has('bcc')).toBe(false)
    expect(m.body).toBe(p.body)
  })

  it('adds From (with -F), Date and Message-ID to a message that has none, as Postfix does', async () => {
    const args = ['-F', 'Cron Daemon', '-f', 'cron@mailroom.test', 'x@remote.test']
    const input = 'Subject: bare\n\nbody\n'
    const [p, m] = [await theirs(args, input), await ours(args, input)]
    expect([p.code, m.code]).toEqual([0, 0])
    expect(mailbox(m.headers.get('from')?.[0])).toBe(mailbox(p.headers.get('from')?.[0]))
    expect(mailbox(m.headers.get('from')?.[0])).toBe('Cron Daemon <cron@mailroom.test>')
    for (const name of ['date', 'message-id']) {
      expect(p.headers.get(name), `postfix ${name}`).toHaveLength(1)
      expect(m.headers.get(name), `mailroom ${name}`).toHaveLength(1)
    }
    expect(m.headers.get('message-id')?.[0]).toMatch(/^<[^>]+@mailroom\.test>$/)
  })

  it('uses the same default sender (login name @ host name) when -f is not given', async () => {
    const [p, m] = [await theirs(['x@remote.test'], 'Subject: s\n\nb\n'), await ours(['x@remote.test'], 'Subject: s\n\nb\n')]
    expect([p.code, m.code]).toEqual([0, 0])
    expect(m.sender).toBe(p.sender)
    // Both take the full name from the passwd GECOS field when neither -F nor NAME gives one.
    expect(mailbox(m.headers.get('from')?.[0])).toBe(mailbox(p.headers.get('from')?.[0]))
  })

  it.each([
    { name: 'without -i a lone dot ends the message', args: ['x@remote.test'] },
    { name: 'with -i a lone dot is kept', args: ['-i', 'x@remote.test'] },
    { name: 'with -oi a lone dot is kept', args: ['-oi', 'x@remote.test'] }
  ])('same body: $name', async ({ args }) => {
    const input = 'Subject: dots\n\nbefore\n.\nafter\n..double\n'
    const [p, m] = [await theirs(args, input), await ours(args, input)]
    expect([p.code, m.code]).toEqual([0, 0])
    expect(m.body).toBe(p.body)
  })

  it.each([
    { args: ['-bh'] },
    { args: ['-bH'] },
    { args: ['-q15m', 'x@remote.test'] },
    { args: ['-bi'] }
  ])('both exit 0 and queue nothing for $args', async ({ args }) => {
    const p = await postfix.sendmail(args, 'Subject: x\n\nb\n', { expectQueued: false })
    const m = await runCli(home, ['sendmail', ...args], 'Subject: x\n\nb\n')
    expect(p.code).toBe(0)
    expect(m.code).toBe(0)
    expect(await spoolFiles(home, 'queued')).toEqual([])
  })

  it.each([
    { args: ['-n', 'x@remote.test'], input: 'Subject: x\n\nb\n', words: '-n option not supported' },
    { args: ['-Z', 'x@remote.test'], input: 'Subject: x\n\nb\n', words: "invalid option -- 'Z'" },
    { args: ['-bz'], input: '', words: 'unsupported: -bz' },
    { args: ['-t', '-bp'], input: '', words: '-t can be used only in delivery mode' },
    { args: ['-bp', 'x@remote.test'], input: '', words: 'display queue mode requires no recipient' },
    { args: ['-B', '9BIT', 'x@remote.test'], input: 'Subject: x\n\nb\n', words: '-B option needs 8BITMIME or 7BIT' },
    { args: ['-qS'], input: '', words: '-qS is not implemented' },
    { args: ['-t'], input: 'Subject: no recipients\n\nb\n', words: 'no recipient addresses found in message header' },
    { args: [], input: 'Subject: no recipients\n\nb\n', words: null }
  ])('both refuse $args and queue nothing; Postfix exits 75 (its fatal handler), Mailroom 64 (EX_USAGE)', async ({ args, input, words }) => {
    const p = await theirs(args, input)
    const m = await runCli(home, ['sendmail', ...args], input)
    expect(p.code).toBe(75)
    expect(m.code).toBe(64)
    if (words !== null) {
      expect(p.stderr.toLowerCase()).toContain(words.toLowerCase())
      expect(m.stderr.toLowerCase()).toContain(words.toLowerCase())
    }
    expect(await spoolFiles(home, 'queued')).toEqual([])
  })

  it('is stricter than Postfix where Postfix would queue mail that cannot be delivered as written', async () => {
    // Postfix queues these and bounces (or folds the line) later; Mailroom refuses them at the door.
    for (const [args, input, code] of [
      [['bob@@remote.test'], 'Subject: x\n\nb\n', 64],
      [['-t'], 'To: bob smith@remote.test\n\nb\n', 64],
      [['x@remote.test'], `Subject: x\n\n${'y'.repeat(1200)}\n`, 65]
    ] as Array<[string[], string, number]>) {
      expect((await theirs(args, input)).code).toBe(0)
      expect((await runCli(home, ['sendmail', ...args], input)).code).toBe(code)
    }
  })
})
