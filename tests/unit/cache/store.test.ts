// The cache on node:sqlite: migrating an old file, FTS search ranking and escaping against the real index, threads, the ops outbox.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadSqlite, openCacheDb, wrapDatabase, type CacheDb } from '../../../src/main/cache/db'
import { LATEST_SCHEMA_VERSION, migrate, schemaVersion } from '../../../src/main/cache/migrations'
import { OpsOutbox } from '../../../src/main/cache/ops'
import { parseSearch, toSql } from '../../../src/main/cache/search-query'
import { MessageStore, type MessageRecord } from '../../../src/main/cache/store'

const NOW = Date.UTC(2026, 10, 25)
const opened: CacheDb[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const c of opened.splice(0)) c.close()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function memory(): Promise<MessageStore> {
  const cache = await openCacheDb(':memory:')
  opened.push(cache)
  cache.db.prepare("INSERT INTO folders (path, name) VALUES ('INBOX', 'INBOX')").run()
  return new MessageStore(cache)
}

let nextUid = 1
function message(over: Partial<MessageRecord> = {}): MessageRecord {
  const uid = nextUid++
  return {
    folder: 'INBOX', uid, uidvalidity: 1, modseq: null, flags: [], subject: `Message ${uid}`, fromDisplay: 'Carol <carol@example.com>',
    fromAddress: 'carol@example.com', to: ['dave@example.com'], cc: [], date: NOW - uid * 1000, messageId: `m${uid}@example.com`,
    inReplyTo: null, references: [], size: 100, hasAttachments: false, ...over
  }
}

describe('migrations', () => {
  it('brings a version-1 file up to the latest schema and keeps its rows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-cache-'))
    dirs.push(dir)
    const file = join(dir, 'old.db')
    const sqlite = await loadSqlite()
    if (sqlite === null) throw new Error('these tests run under Node 24 (npx vitest)')
    const old = wrapDatabase(file, new sqlite.DatabaseSync(file))
    expect(migrate(old, 1)).toBe(1)
    old.db.prepare("INSERT INTO folders (path, name) VALUES ('INBOX', 'INBOX')").run()
    old.db.prepare("INSERT INTO messages (folder, uid, uidvalidity, subject, from_display) VALUES ('INBOX', 7, 1, 'Kept across upgrades', 'Eve')").run()
    old.close()

    const cache = await openCacheDb(file)
    opened.push(cache)
    expect(schemaVersion(cache)).toBe(LATEST_SCHEMA_VERSION)
    const store = new MessageStore(cache)
    expect(store.list('INBOX', 0, 10).map((m) => m.subject)).toEqual(['Kept across upgrades'])
    // The version-2 step indexed the existing row.
    expect(store.search(toSql(parseSearch('upgrades', NOW)), null, 10).map((m) => m.uid)).toEqual([7])
  })

  it('refuses a file from a newer Mailroom without touching it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-cache-'))
    dirs.push(dir)
    const file = join(dir, 'future.db')
    const sqlite = await loadSqlite()
    const future = wrapDatabase(file, new (sqlite as NonNullable<typeof sqlite>).DatabaseSync(file))
    migrate(future)
    future.db.prepare("INSERT INTO schema_version VALUES (999, 'from the future', 0)").run()
    future.close()
    await expect(openCacheDb(file)).rejects.toMatchObject({ code: 'CACHE_IO', message: expect.stringContaining('newer') })
  })
})

describe('upsert', () => {
  it('an initial-sync ("fresh") insert of a uid that is there after all updates it: one row, one index row, same id', async () => {
    const store = await memory()
    const first = store.upsert(message({ uid: 900, subject: 'Walrus report' }), true)
    const again = store.upsert(message({ uid: 900, subject: 'Narwhal report' }), true)
    expect(again).toBe(first)
    expect(store.row('INBOX', 900)?.subject).toBe('Narwhal report')
    expect(store.cache.statement('SELECT COUNT(*) AS n FROM messages_fts WHERE rowid = ?').get(first)?.n).toBe(1)
    expect(store.search(toSql(parseSearch('narwhal', NOW)), 'INBOX', 10).map((m) => m.uid)).toEqual([900])
    expect(store.search(toSql(parseSearch('walrus', NOW)), 'INBOX', 10)).toEqual([])
    expect(store.upsert(message({ uid: 901 }), true)).not.toBe(first)
  })
})

describe('full-text search', () => {
  it('ranks a subject hit above a body hit and filters by flags', async () => {
    const store = await memory()
    store.upsert(message({ uid: 1, subject: 'Lunch plans' }))
    store.setBody('INBOX', 1, { path: '/x', preview: '', text: 'the budget is attached', hasAttachments: true })
    store.upsert(message({ uid: 2, subject: 'Budget for 2027', flags: ['\\Seen'] }))
    expect(store.search(toSql(parseSearch('budget', NOW)), 'INBOX', 10).map((m) => m.uid)).toEqual([2, 1])
    expect(store.search(toSql(parseSearch('budget is:unread', NOW)), 'INBOX', 10).map((m) => m.uid)).toEqual([1])
    expect(store.search(toSql(parseSearch('has:attachment', NOW)), 'INBOX', 10).map((m) => m.uid)).toEqual([1])
    expect(store.search(toSql(parseSearch('bud', NOW)), null, 10)).toHaveLength(2)
  })

  it('searches from: and to: in their own columns', async () => {
    const store = await memory()
    store.upsert(message({ uid: 10, fromDisplay: 'Alice Liddell <alice@wonder.land>', to: ['bob@example.com'] }))
    store.upsert(message({ uid: 11, fromDisplay: 'Bob <bob@example.com>', to: ['alice@wonder.land'] }))
    expect(store.search(toSql(parseSearch('from:alice', NOW)), null, 10).map((m) => m.uid)).toEqual([10])
    expect(store.search(toSql(parseSearch('to:alice', NOW)), null, 10).map((m) => m.uid)).toEqual([11])
  })

  it.each(['"', 'a"b', 'NEAR(', 'x OR', 'AND', '*', '^start', '{subject}', "'; DROP TABLE messages; --", 'col:umn', '(((', 'NOT x'])(
    'hostile input %j never breaks the query', async (input) => {
      const store = await memory()
      store.upsert(message({ subject: 'plain' }))
      expect(() => store.search(toSql(parseSearch(input, NOW)), null, 10)).not.toThrow()
      expect(store.list('INBOX', 0, 10)).toHaveLength(1)
    })
})

describe('threads', () => {
  it('gives a reply and its parent one thread id, in either order of arrival', async () => {
    const store = await memory()
    store.upsert(message({ uid: 21, subject: 'Re: Trip', messageId: 'b@x', inReplyTo: '<a@x>', references: ['a@x'] }))
    store.upsert(message({ uid: 20, subject: 'Trip', messageId: 'a@x' }))
    store.upsert(message({ uid: 22, subject: 'RE: Fwd: trip', messageId: 'c@x' }))
    store.upsert(message({ uid: 23, subject: 'Trip', messageId: 'd@x' }))
    const threads = new Map(store.list('INBOX', 0, 10).map((m) => [m.uid, m.threadId]))
    expect(threads.get(21)).toBe(threads.get(20))
    expect(threads.get(22)).toBe(threads.get(20))
    expect(threads.get(23)).not.toBe(threads.get(20))
  })
})

describe('ops outbox', () => {
  it('keeps operations in order until finished; failed ones are parked', async () => {
    const store = await memory()
    const ops = new OpsOutbox(store.cache)
    const a = ops.add('flags', 'INBOX', { uids: [1], add: ['\\Seen'], remove: [] }, NOW)
    const b = ops.add('move', 'INBOX', { uids: [2], target: 'Archive' }, NOW)
    const c = ops.add('delete', 'INBOX', { uids: [3] }, NOW)
    expect(ops.pending().map((o) => [o.seq, o.kind])).toEqual([[a, 'flags'], [b, 'move'], [c, 'delete']])
    ops.finish(a)
    ops.fail(b, 'no such mailbox')
    ops.retryLater(c, 'connection lost')
    expect(ops.pending()).toMatchObject([{ seq: c, attempts: 1 }])
    expect(ops.count()).toBe(1)
  })
})
