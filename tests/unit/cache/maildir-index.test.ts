// The Local Maildir index under concurrent calls (the UI asks mail.folders and mail.list at once): refreshes of one
// folder run one after the other, so no uidlist write trips over another and every message keeps one stable uid;
// and every new file is parsed in the parse worker pool (a hung worker never blocks this thread).
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LocalAccount } from '../../../src/main/cache/local-account'
import { parseUidList, syncUidList, UIDLIST_FILE } from '../../../src/main/local/maildir-uidlist'
import { createMessageParser, type MessageParser } from '../../../src/main/parse'

let home: string
let maildir: string
let account: LocalAccount
/** The real parse worker pool (tests/support/node-worker-plugin.ts builds the worker), counting the files it parses. */
const pool = createMessageParser({ workers: 1 })
let parsed: string[] = []
const parser: MessageParser = { parse: (path) => { parsed.push(path); return pool.parse(path) }, close: async () => {} }
afterAll(async () => { await pool.close() })

async function put(folder: string, name: string, subject: string): Promise<void> {
  const dir = folder === 'INBOX' ? maildir : join(maildir, `.${folder}`)
  for (const s of ['new', 'cur', 'tmp']) await mkdir(join(dir, s), { recursive: true })
  await writeFile(join(dir, 'new', name), `From: a@x.test\r\nSubject: ${subject}\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\nbody of ${subject}\r\n`)
}

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'mailroom-index-'))
  maildir = join(home, 'Maildir')
  for (let i = 0; i < 30; i += 1) await put('INBOX', `17000000${String(i).padStart(2, '0')}.m${i}.host`, `Message ${i}`)
  await put('Archive', '1690000000.a.host', 'Archived')
  parsed = []
  account = await LocalAccount.open(join(home, 'cache'), maildir, { changed: () => undefined, newMail: () => undefined }, parser)
})

afterEach(async () => {
  await account.close()
  await rm(home, { recursive: true, force: true })
})

describe('MaildirIndex under concurrent calls', () => {
  it('20 concurrent folders/list/refresh calls: no error, one uid per message, the same uids afterwards', async () => {
    const calls: Promise<unknown>[] = []
    for (let i = 0; i < 20; i += 1) {
      if (i === 10) await put('INBOX', '1700000099.late.host', 'Late')
      calls.push(i % 3 === 0 ? account.folders() : i % 3 === 1 ? account.list('INBOX', 0, 100) : account.index.refresh('INBOX', true))
    }
    const results = await Promise.allSettled(calls)
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([])

    const list = await account.list('INBOX', 0, 100)
    expect(list).toHaveLength(31)
    const uids = list.map((m) => m.uid)
    expect(new Set(uids).size).toBe(31)
    const bySubject = new Map(list.map((m) => [m.subject, m.uid]))
    // The file agrees with the cache, and later refreshes keep every uid.
    const file = parseUidList(await readFile(join(maildir, UIDLIST_FILE), 'utf8'))
    expect([...file.uids.values()].sort((a, b) => a - b)).toEqual([...uids].sort((a, b) => a - b))
    await account.index.refresh('INBOX', true)
    expect(new Map((await account.list('INBOX', 0, 100)).map((m) => [m.subject, m.uid]))).toEqual(bySubject)
    expect((await account.list('Archive', 0, 10)).map((m) => m.subject)).toEqual(['Archived'])
  })

  it('concurrent uidlist writes of one Maildir never clash', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `17000001${i}.u${i}.host`)
    const maps = await Promise.all(Array.from({ length: 20 }, () => syncUidList(maildir, names)))
    const final = await syncUidList(maildir, names)
    expect(new Set(final.values()).size).toBe(10)
    for (const map of maps) expect(map).toEqual(final)
    expect((await readdir(maildir)).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })
})

describe('MaildirIndex parsing', () => {
  it('parses each new file once in the worker pool, with its headers, threads and text for search', async () => {
    const dir = join(maildir, '.Lists')
    for (const s of ['new', 'cur', 'tmp']) await mkdir(join(dir, s), { recursive: true })
    await writeFile(join(dir, 'cur', '1700000500.r.host:2,S'), ['From: Bob <Bob@X.test>', 'To: me@x.test', 'Subject: Re: plans', 'Message-ID: <two@x.test>',
      'In-Reply-To: <one@x.test>', 'References: <one@x.test>', 'Date: Wed, 25 Nov 2026 10:00:00 +0000', '', 'the zebra crossing is fine', ''].join('\r\n'))
    const [m] = await account.list('Lists', 0, 10)
    expect(m).toMatchObject({ subject: 'Re: plans', from: 'Bob <Bob@X.test>', seen: true })
    expect(parsed.filter((p) => p.startsWith(dir))).toHaveLength(1)
    expect(account.store.row('Lists', m?.uid ?? 0)).toMatchObject({ from_address: 'bob@x.test' })
    const found = await account.search(null, { terms: [{ field: 'text', value: 'zebra' }] }, 'local', 10)
    expect(found.messages.map((f) => f.subject)).toEqual(['Re: plans'])
    await account.index.refresh('Lists', true)
    expect(parsed.filter((p) => p.startsWith(dir))).toHaveLength(1)
  })

  it('a hung parse worker marks the message unreadable after the timeout; this thread keeps running meanwhile', async () => {
    const hung = createMessageParser({ workers: 1, timeoutMs: 300, spawn: (o) => new Worker('setInterval(() => {}, 1000)', { ...o, eval: true }) })
    const stuckHome = await mkdtemp(join(tmpdir(), 'mailroom-index-hung-'))
    const stuck = await LocalAccount.open(join(stuckHome, 'cache'), maildir, { changed: () => undefined, newMail: () => undefined }, hung)
    try {
      let ticks = 0
      const timer = setInterval(() => { ticks += 1 }, 20)
      const list = await stuck.list('Archive', 0, 10)
      clearInterval(timer)
      expect(list.map((m) => m.subject)).toEqual(['(unreadable message)'])
      expect(list[0]?.date).not.toBeNull()
      expect(ticks).toBeGreaterThan(5)
    } finally {
      await stuck.close()
      await hung.close()
      await rm(stuckHome, { recursive: true, force: true })
    }
  })
})
