// The Local account through the mail section: Maildir++ folders indexed into cache/local.db, the same list/read/
// search as IMAP, flags as file names, moves and deletes as renames; and the Node 20 path without node:sqlite.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { systemClock } from '../../../src/main/app/clock'
import type { SectionContext } from '../../../src/main/app/section'
import { createMailSection } from '../../../src/main/app/section-mail'
import { simulateMissingSqlite } from '../../../src/main/cache/db'
import type { LocalAccount } from '../../../src/main/cache/local-account'
import { pathsFor } from '../../../src/main/config/paths'
import type { Config } from '../../../src/main/config/schema'
import { EventHub } from '../../../src/main/ipc/events'
import { memoryLogger } from '../../../src/main/log/logger'
import { buildParseWorker, type BuiltWorker } from '../parse/build-worker'

let home: string
let maildir: string
let section: ReturnType<typeof createMailSection>
let emitted: { name: string; payload: unknown }[] = []
/** The real parse worker, built from the sources (vitest cannot load electron-vite's `?nodeWorker` import). */
let worker: BuiltWorker
let workersStarted = 0
beforeAll(async () => { worker = await buildParseWorker() }, 60_000)
afterAll(async () => { await worker.cleanup() })

function message(subject: string, body: string, extra: string[] = []): string {
  return ['From: Root <root@localhost>', `To: ${userInfo().username}@localhost`, `Subject: ${subject}`, 'Date: Tue, 24 Nov 2026 10:00:00 +0000', ...extra, '', body, ''].join('\r\n')
}

async function put(folder: string, name: string, raw: string, sub: 'new' | 'cur' = 'new'): Promise<void> {
  const dir = folder === 'INBOX' ? maildir : join(maildir, `.${folder}`)
  for (const s of ['new', 'cur', 'tmp']) await mkdir(join(dir, s), { recursive: true })
  await writeFile(join(dir, sub, name), raw)
}

function hub(): EventHub {
  const events = new EventHub()
  emitted = []
  events.subscribe((name, payload) => emitted.push({ name, payload }))
  return events
}

function build(): ReturnType<typeof createMailSection> {
  const accounts = [{ id: 'remote', email: 'me@remote.test', imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'me', password: 'x' } }]
  const context = {
    mode: 'cli', paths: pathsFor(home), config: { accounts, hostname: 'mailroom.test' } as unknown as Config,
    log: memoryLogger(), events: hub(), clock: systemClock
  } as unknown as SectionContext
  workersStarted = 0
  return createMailSection(context, { parser: { workers: 1, spawn: (o) => { workersStarted += 1; return worker.spawn(o) } } })
}

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'mailroom-local-'))
  maildir = join(home, 'mail', userInfo().username.toLowerCase(), 'Maildir')
  await put('INBOX', '1700000001.a.host', message('Cron report', 'disk usage is fine'))
  await put('INBOX', '1700000002.b.host', message('Backup failed', 'the tape is full'), 'cur')
  await put('INBOX', '1700000003.c.host:2,S', message('Re: Backup failed', 'replaced the tape', ['In-Reply-To: <x@y>']), 'cur')
  await put('Archive', '1700000004.d.host:2,S', message('Old news', 'archived text'), 'cur')
  section = build()
})

afterEach(async () => {
  await section.close?.()
  simulateMissingSqlite(false)
  await rm(home, { recursive: true, force: true })
})

const h = () => section.handlers

describe('Local account with the cache', () => {
  it('lists Maildir++ folders with counts and the INBOX newest first', async () => {
    const folders = await h()['mail.folders']({ accountId: 'local' })
    expect(folders.map((f) => [f.path, f.role, f.total, f.unread])).toEqual([['Archive', 'archive', 1, 0], ['INBOX', 'inbox', 3, 2]])
    const list = await h()['mail.list']({ accountId: 'local', mailbox: 'INBOX', offset: 0, limit: 10 })
    expect(list.map((m) => m.subject).sort()).toEqual(['Backup failed', 'Cron report', 'Re: Backup failed'])
    expect(list.find((m) => m.subject === 'Re: Backup failed')?.seen).toBe(true)
  })

  it('searches headers and body text like an IMAP account', async () => {
    const q = async (query: string, mailbox: string | null = null) =>
      (await h()['mail.search']({ accountId: 'local', mailbox, query, scope: 'local', limit: 10 })).messages.map((m) => m.subject).sort()
    expect(await q('tape')).toEqual(['Backup failed', 'Re: Backup failed'])
    expect(await q('tape is:unread')).toEqual(['Backup failed'])
    expect(await q('archived')).toEqual(['Old news'])
    expect(await q('archived', 'INBOX')).toEqual([])
    expect(await q('subject:cron from:root')).toEqual(['Cron report'])
  })

  it('sets flags by renaming into cur/ with :2, letters, and sees mail delivered later', async () => {
    const list = await h()['mail.list']({ accountId: 'local', mailbox: 'INBOX', offset: 0, limit: 10 })
    const cron = list.find((m) => m.subject === 'Cron report')?.uid as number
    expect(await h()['mail.setFlags']({ accountId: 'local', mailbox: 'INBOX', uids: [cron], add: ['\\Seen', '\\Flagged'], remove: [] })).toEqual({ pending: false })
    expect(await readdir(join(maildir, 'cur'))).toContain('1700000001.a.host:2,FS')
    // The index parsed the files in the app's one pool (one worker started); reads use that same worker.
    const started = workersStarted
    expect(started).toBe(1)
    const view = await h()['mail.read']({ accountId: 'local', mailbox: 'INBOX', uid: cron })
    expect(view).toMatchObject({ subject: 'Cron report', seen: true, flagged: true, text: expect.stringContaining('disk usage') })
    await h()['mail.read']({ accountId: 'local', mailbox: 'INBOX', uid: cron })
    expect(workersStarted).toBe(started)
    await put('INBOX', '1700000009.z.host', message('Late arrival', 'hello'))
    expect((await h()['mail.list']({ accountId: 'local', mailbox: 'INBOX', offset: 0, limit: 10 })).map((m) => m.subject)).toContain('Late arrival')
  })

  it('moves between folders and deletes into Trash, then for good from Trash', async () => {
    const list = await h()['mail.list']({ accountId: 'local', mailbox: 'INBOX', offset: 0, limit: 10 })
    const backup = list.find((m) => m.subject === 'Backup failed')?.uid as number
    const cron = list.find((m) => m.subject === 'Cron report')?.uid as number
    await h()['mail.move']({ accountId: 'local', mailbox: 'INBOX', uids: [backup], target: 'Archive' })
    expect((await h()['mail.list']({ accountId: 'local', mailbox: 'Archive', offset: 0, limit: 10 })).map((m) => m.subject).sort()).toEqual(['Backup failed', 'Old news'])
    await h()['mail.delete']({ accountId: 'local', mailbox: 'INBOX', uids: [cron] })
    const trash = await h()['mail.list']({ accountId: 'local', mailbox: 'Trash', offset: 0, limit: 10 })
    expect(trash.map((m) => m.subject)).toEqual(['Cron report'])
    await h()['mail.delete']({ accountId: 'local', mailbox: 'Trash', uids: [trash[0]?.uid as number] })
    expect(await h()['mail.list']({ accountId: 'local', mailbox: 'Trash', offset: 0, limit: 10 })).toEqual([])
    expect((await h()['mail.list']({ accountId: 'local', mailbox: 'INBOX', offset: 0, limit: 10 })).map((m) => m.subject)).toEqual(['Re: Backup failed'])
  })

  it('announces mail delivered to the INBOX while the app runs (mail.newMail, mail.changed)', async () => {
    const local = (await section.account('local')) as LocalAccount
    await local.poll()
    emitted = []
    await local.poll()
    expect(emitted).toEqual([])
    await put('INBOX', '1700000010.n.host', message('Fresh local mail', 'hi'))
    await local.poll()
    expect(emitted.map((e) => e.name)).toEqual(['mail.changed', 'mail.newMail'])
    expect(emitted[1]?.payload).toMatchObject({ accountId: 'local', mailbox: 'INBOX', messages: [{ subject: 'Fresh local mail', from: 'Root <root@localhost>' }] })
  })

  it('refuses folder names that would leave the Maildir', async () => {
    await expect(h()['mail.list']({ accountId: 'local', mailbox: '../../etc', offset: 0, limit: 10 })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(h()['mail.list']({ accountId: 'local', mailbox: 'NoSuchFolder', offset: 0, limit: 10 })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})

describe('Local account without node:sqlite (plain Node 20)', () => {
  it('still lists, reads and searches the INBOX; changes and IMAP accounts say clearly why they cannot work', async () => {
    simulateMissingSqlite(true)
    section = build()
    const list = await h()['mail.list']({ accountId: 'local', mailbox: 'INBOX', offset: 0, limit: 10 })
    expect(list).toHaveLength(3)
    const view = await h()['mail.read']({ accountId: 'local', mailbox: 'INBOX', uid: list[0]?.uid as number })
    expect(view.subject).toBe(list[0]?.subject)
    expect((await h()['mail.search']({ accountId: 'local', mailbox: 'INBOX', query: 'subject:cron', scope: 'local', limit: 10 })).messages.map((m) => m.subject)).toEqual(['Cron report'])
    await expect(h()['mail.setFlags']({ accountId: 'local', mailbox: 'INBOX', uids: [1], add: ['\\Seen'], remove: [] })).rejects.toMatchObject({ code: 'CACHE_UNAVAILABLE', message: expect.stringContaining('Node 22.13') })
    await expect(h()['mail.list']({ accountId: 'remote', mailbox: 'INBOX', offset: 0, limit: 10 })).rejects.toMatchObject({ code: 'CACHE_UNAVAILABLE' })
  })
})
