// The Local account's reader: Maildir listing (order, stable uids, seen flag), reading, and delivery reports from buildDsn.
import { mkdir, mkdtemp, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseDeliveryStatus, reportKind, reportRecipients } from '../../../src/main/local/delivery-report'
import { localMaildir, MaildirReader } from '../../../src/main/local/maildir-reader'
import { parseUidList, UIDLIST_FILE } from '../../../src/main/local/maildir-uidlist'
import { buildDsn } from '../../../src/main/notices/dsn'
import { createMessageParser, type MessageParser } from '../../../src/main/parse'
import { HOUR, ORIGINAL, T0, envelope, gone } from '../notices/helpers'

let home: string
let maildir: string
/** The real parse worker pool (built by tests/support/node-worker-plugin.ts): the reader parses only there. */
const parser: MessageParser = createMessageParser({ workers: 1 })
afterAll(async () => { await parser.close() })

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'mailroom-maildir-reader-'))
  maildir = localMaildir(join(home, 'mail'), 'Tester')
})
afterEach(async () => {
  await rm(home, { recursive: true, force: true })
})

function message(subject: string, date: string | null, from = 'Alice <alice@example.org>'): string {
  return [`From: ${from}`, 'To: tester@box.test', `Subject: ${subject}`, ...(date === null ? [] : [`Date: ${date}`]), '', `Body of ${subject}`, ''].join('\r\n')
}

async function put(sub: 'new' | 'cur', name: string, data: string | Buffer): Promise<string> {
  for (const dir of ['new', 'cur', 'tmp']) await mkdir(join(maildir, dir), { recursive: true })
  const path = join(maildir, sub, name)
  await writeFile(path, data)
  return path
}

describe('MaildirReader list', () => {
  it('lives under mail/<user lower-cased>/Maildir', () => {
    expect(localMaildir('/h/mail', 'Tester')).toBe('/h/mail/tester/Maildir')
  })

  it('gives an empty list when the Maildir does not exist yet', async () => {
    expect(await new MaildirReader(maildir, parser).list('INBOX', 100)).toEqual([])
  })

  it('lists new/ and cur/ newest first by Date, honours the limit, and reads seen from the S flag', async () => {
    await put('new', '1000.M1P1Q1.box,S=10', message('Oldest', 'Mon, 06 Jan 2025 09:00:00 +0000'))
    await put('cur', '1001.M1P1Q2.box,S=10:2,S', message('Newest', 'Wed, 08 Jan 2025 09:00:00 +0000'))
    await put('cur', '1002.M1P1Q3.box,S=10:2,F', message('Middle', 'Tue, 07 Jan 2025 09:00:00 +0000'))
    const reader = new MaildirReader(maildir, parser)
    const all = await reader.list('INBOX', 100)
    expect(all.map((m) => [m.subject, m.seen])).toEqual([['Newest', true], ['Middle', false], ['Oldest', false]])
    expect(all[0]?.from).toBe('Alice <alice@example.org>')
    expect(all[0]?.date).toBe(Date.UTC(2025, 0, 8, 9))
    expect((await reader.list('INBOX', 2)).map((m) => m.subject)).toEqual(['Newest', 'Middle'])
  })

  it('falls back to the file time when there is no Date header', async () => {
    const path = await put('new', '1000.M1P1Q1.box', message('Undated', null))
    await utimes(path, new Date(T0), new Date(T0))
    const [only] = await new MaildirReader(maildir, parser).list('INBOX', 10)
    expect(only?.date).toBe(T0)
  })

  it('keeps uids stable across calls, new arrivals, a move from new/ to cur/, and a new reader', async () => {
    await put('new', '1000.M1P1Q1.box', message('A', 'Mon, 06 Jan 2025 09:00:00 +0000'))
    await put('new', '1001.M1P1Q2.box', message('B', 'Tue, 07 Jan 2025 09:00:00 +0000'))
    const reader = new MaildirReader(maildir, parser)
    const uidsOf = async (r: MaildirReader): Promise<Record<string, number>> =>
      Object.fromEntries((await r.list('INBOX', 100)).map((m) => [m.subject, m.uid]))
    const first = await uidsOf(reader)
    expect(first).toEqual({ A: 1, B: 2 })
    expect(await uidsOf(reader)).toEqual(first)
    await put('new', '0999.M1P1Q9.box', message('C', 'Wed, 08 Jan 2025 09:00:00 +0000'))
    await rename(join(maildir, 'new', '1000.M1P1Q1.box'), join(maildir, 'cur', '1000.M1P1Q1.box:2,S'))
    expect(await uidsOf(reader)).toEqual({ A: 1, B: 2, C: 3 })
    expect(await uidsOf(new MaildirReader(maildir, parser))).toEqual({ A: 1, B: 2, C: 3 })
    const file = parseUidList(await readFile(join(maildir, UIDLIST_FILE), 'utf8'))
    expect(file.next).toBe(4)
    expect(file.uids.get('1000.M1P1Q1.box')).toBe(1)
  })

  it('never reuses the uid of a removed message, and survives a damaged uid file', async () => {
    await put('new', '1000.M1P1Q1.box', message('A', null))
    const reader = new MaildirReader(maildir, parser)
    await reader.list('INBOX', 10)
    await rm(join(maildir, 'new', '1000.M1P1Q1.box'))
    await put('new', '1001.M1P1Q2.box', message('B', null))
    expect((await reader.list('INBOX', 10)).map((m) => m.uid)).toEqual([2])
    await writeFile(join(maildir, UIDLIST_FILE), 'garbage\nnot a line\n7 1001.M1P1Q2.box\n')
    await put('new', '1002.M1P1Q3.box', message('C', null))
    const uids = (await reader.list('INBOX', 10)).map((m) => m.uid).sort((a, b) => a - b)
    expect(uids).toEqual([7, 8])
  })

  it('lists a malformed file without crashing and reads it', async () => {
    await put('new', '1000.M1P1Q1.box', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a, 0x3a, 0x3a, 0x0a]))
    await put('new', '1001.M1P1Q2.box', '')
    await put('new', '1002.M1P1Q3.box', message('Fine', 'Mon, 06 Jan 2025 09:00:00 +0000'))
    const reader = new MaildirReader(maildir, parser)
    const list = await reader.list('INBOX', 10)
    expect(list).toHaveLength(3)
    expect(list.map((m) => m.subject)).toContain('Fine')
    for (const item of list) await expect(reader.read('INBOX', item.uid)).resolves.toMatchObject({ uid: item.uid })
  })

  it('lists an unreadable entry (a directory in new/) as such, and reading it is a clear MAILBOX_IO error', async () => {
    await put('new', '1000.M1P1Q1.box', message('Fine', null))
    await mkdir(join(maildir, 'new', '1001.M1P1Q2.box'))
    const reader = new MaildirReader(maildir, parser)
    const list = await reader.list('INBOX', 10)
    expect(list).toHaveLength(2)
    expect(list.map((m) => m.subject)).toContain('Fine')
    const bad = list.find((m) => m.subject.startsWith('(unreadable: EISDIR'))
    expect(bad).toBeDefined()
    await expect(reader.read('INBOX', bad?.uid ?? 0)).rejects.toMatchObject({ code: 'MAILBOX_IO' })
  })
})

describe('MaildirReader read', () => {
  it('reads a message by uid, and refuses an unknown uid or another mailbox with NOT_FOUND', async () => {
    await put('cur', '1000.M1P1Q1.box:2,S', message('Hello', 'Mon, 06 Jan 2025 09:00:00 +0000'))
    const reader = new MaildirReader(maildir, parser)
    const [item] = await reader.list('INBOX', 10)
    const view = await reader.read('INBOX', item?.uid ?? 0)
    expect(view).toMatchObject({ subject: 'Hello', from: 'Alice <alice@example.org>', to: ['tester@box.test'], text: 'Body of Hello\n' })
    expect(view.report).toBeUndefined()
    await expect(reader.read('INBOX', 99)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(reader.list('Sent', 10)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(new MaildirReader(join(home, 'nowhere'), parser).read('INBOX', 1)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('reads a message over the parser\'s size limit only in part, and says so', async () => {
    const small = createMessageParser({ workers: 1, limits: { maxReadBytes: 64 * 1024 } })
    try {
      await put('new', '1000.M1P1Q1.box', message('Huge', null) + 'x'.repeat(256 * 1024))
      const reader = new MaildirReader(maildir, small)
      const [item] = await reader.list('INBOX', 10)
      expect(item).toMatchObject({ subject: 'Huge', size: expect.any(Number) as number })
      const view = await reader.read('INBOX', item?.uid ?? 0)
      expect(view.subject).toBe('Huge')
      expect(view.problems?.join(' ')).toMatch(/65536|64/)
    } finally {
      await small.close()
    }
  })

  it('parses in the worker pool: a hung parser marks the file unreadable instead of blocking, and each file is parsed once', async () => {
    const { Worker } = await import('node:worker_threads')
    let parses = 0
    const hung = createMessageParser({ workers: 1, timeoutMs: 300, spawn: (o) => new Worker('setInterval(() => {}, 1000)', { ...o, eval: true }) })
    const counting: MessageParser = { parse: (path) => { parses += 1; return parser.parse(path) }, close: async () => {} }
    try {
      await put('new', '1000.M1P1Q1.box', message('Stuck', null))
      let ticks = 0
      const timer = setInterval(() => { ticks += 1 }, 20)
      const [stuck] = await new MaildirReader(maildir, hung).list('INBOX', 10)
      clearInterval(timer)
      expect(stuck?.subject).toBe('(unreadable message)')
      expect(ticks).toBeGreaterThan(3)
      const reader = new MaildirReader(maildir, counting)
      expect((await reader.list('INBOX', 10)).map((m) => m.subject)).toEqual(['Stuck'])
      await reader.list('INBOX', 10)
      expect(parses).toBe(1)
    } finally {
      await hung.close()
    }
  })

  it('parses the report of a failure notice built by buildDsn (headers returned)', async () => {
    const other = { ...gone, address: 'other@remote.test', original: 'other@remote.test', reply: { code: 452, enhanced: '4.2.2', text: 'mailbox full' } }
    const notice = buildDsn({ kind: 'failure', hostname: 'mailroom.test', envelope: envelope(), recipients: [gone, other], data: ORIGINAL, now: T0 + HOUR })
    await put('new', '1000.M1P1Q1.box', notice.data)
    const reader = new MaildirReader(maildir, parser)
    const [item] = await reader.list('INBOX', 10)
    const view = await reader.read('INBOX', item?.uid ?? 0)
    expect(view.report).toEqual({
      kind: 'failure',
      recipients: [
        { address: 'gone@remote.test', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 <gone@remote.test>: Recipient address rejected: no such user', remoteMta: 'mx.remote.test' },
        { address: 'other@remote.test', action: 'failed', status: '4.2.2', diagnostic: '452 mailbox full' }
      ],
      original: { subject: 'Quarterly report', to: ['bob@remote.test'], cc: [], text: null }
    })
  })

  it('returns the original text for RET=FULL and reports a delay notice as delay', async () => {
    const full = buildDsn({ kind: 'failure', hostname: 'mailroom.test', envelope: envelope({ dsn: { ret: 'FULL' } }), recipients: [gone], data: ORIGINAL, now: T0 + HOUR })
    const delay = buildDsn({ kind: 'delay', hostname: 'mailroom.test', envelope: envelope(), recipients: [{ ...gone, reply: null }], data: ORIGINAL, now: T0 + HOUR })
    await put('new', '1000.M1P1Q1.box', full.data)
    await put('new', '1001.M1P1Q2.box', delay.data)
    const reader = new MaildirReader(maildir, parser)
    const list = await reader.list('INBOX', 10)
    const views = await Promise.all(list.map((m) => reader.read('INBOX', m.uid)))
    const failure = views.find((v) => v.report?.kind === 'failure')
    expect(failure?.report?.original).toEqual({ subject: 'Quarterly report', to: ['bob@remote.test'], cc: [], text: 'Hello Bob,\nthe report is attached.\n' })
    const delayed = views.find((v) => v.report?.kind === 'delay')
    expect(delayed?.report?.recipients).toEqual([{ address: 'gone@remote.test', action: 'delayed', status: '4.0.0' }])
  })
})

describe('parseDeliveryStatus', () => {
  it('splits blocks, unfolds continuation lines and drops address types', () => {
    const text = 'Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; a@example.org\r\nAction: Failed\r\nStatus: 5.1.1\r\n' +
      'Diagnostic-Code: smtp; 550 no such\r\n  user here\r\n\r\nAction: failed\r\n\r\nFinal-Recipient: rfc822;b@example.org\r\nAction: relayed\r\nStatus: 2.0.0\r\n'
    const { perMessage, recipients } = parseDeliveryStatus(text)
    expect(perMessage['reporting-mta']).toBe('dns; mx.example')
    const list = reportRecipients(recipients)
    expect(list).toEqual([
      { address: 'a@example.org', action: 'failed', status: '5.1.1', diagnostic: '550 no such user here' },
      { address: 'b@example.org', action: 'relayed', status: '2.0.0' }
    ])
    expect(reportKind(list)).toBe('failure')
    expect(reportKind([list[1] as (typeof list)[number]])).toBe('other')
  })
})
