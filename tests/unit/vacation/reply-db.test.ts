// The reply database: once per sender (case-insensitive), pruned by age and size, atomic writes, an exclusive lock.
import { mkdtemp, readFile, rm, writeFile, mkdir, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readReplyDb, ReplyDb, withReplyDb } from '../../../src/main/vacation/reply-db'
import { AppError } from '../../../src/shared/result'

const DAY = 24 * 60 * 60 * 1000
const NOW = Date.UTC(2026, 10, 25)

describe('reply database', () => {
  let dir: string
  let file: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mailroom-vacation-db-'))
    file = join(dir, 'var', 'vacation', 'alice.json')
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('records a sender (lower-cased) and finds it on the next delivery', async () => {
    await withReplyDb(file, 7 * DAY, (db) => db.record('Bob@Remote.TEST', NOW), { now: () => NOW })
    const again = await withReplyDb(file, 7 * DAY, (db) => db.lastReplyAt('bob@remote.test'), { now: () => NOW })
    expect(again).toBe(NOW)
    await expect(readFile(`${file}.lock`)).rejects.toThrow(/ENOENT/)
  })

  it('prunes entries older than the period when it writes', async () => {
    await withReplyDb(file, 7 * DAY, (db) => { db.record('old@x.test', NOW - 8 * DAY); db.record('new@x.test', NOW - DAY) }, { now: () => NOW })
    const db = await readReplyDb(file)
    expect(db.lastReplyAt('old@x.test')).toBeUndefined()
    expect(db.lastReplyAt('new@x.test')).toBe(NOW - DAY)
  })

  it('holds at least 1,000 senders, dropping the oldest beyond maxEntries', async () => {
    await withReplyDb(file, 30 * DAY, (db) => {
      for (let i = 0; i < 1500; i++) db.record(`s${i}@x.test`, NOW - 1500 + i)
    }, { now: () => NOW, maxEntries: 1200 })
    const db = await readReplyDb(file)
    expect(db.size).toBe(1200)
    expect(db.lastReplyAt('s299@x.test')).toBeUndefined()
    expect(db.lastReplyAt('s300@x.test')).toBe(NOW - 1200)
    expect(db.lastReplyAt('s1499@x.test')).toBe(NOW - 1)
  })

  it('writes nothing when nothing changed, and nothing when the callback fails', async () => {
    await withReplyDb(file, 7 * DAY, () => undefined, { now: () => NOW })
    await expect(readFile(file)).rejects.toThrow(/ENOENT/)
    await expect(withReplyDb(file, 7 * DAY, (db) => { db.record('a@x.test', NOW); throw new Error('spool full') })).rejects.toThrow('spool full')
    await expect(readFile(file)).rejects.toThrow(/ENOENT/)
    await expect(readFile(`${file}.lock`)).rejects.toThrow(/ENOENT/)
  })

  it('a damaged file reads as empty with a warning (and is replaced on the next write)', async () => {
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, '{"version":1,"repl')
    const db = await readReplyDb(file)
    expect(db.size).toBe(0)
    expect(db.warnings[0]).toMatch(/damaged/)
  })

  it('a second delivery waits for the lock: both senders are recorded, neither write is lost', async () => {
    const slow = withReplyDb(file, 7 * DAY, async (db) => { await new Promise((r) => setTimeout(r, 150)); db.record('a@x.test', NOW) }, { now: () => NOW })
    await new Promise((r) => setTimeout(r, 20))
    const second = withReplyDb(file, 7 * DAY, (db) => { db.record('b@x.test', NOW); return db.lastReplyAt('a@x.test') }, { now: () => NOW })
    await slow
    expect(await second).toBe(NOW)
    const db = await readReplyDb(file)
    expect([db.lastReplyAt('a@x.test'), db.lastReplyAt('b@x.test')]).toEqual([NOW, NOW])
  })

  it('gives up with VACATION_DB_BUSY (temporary, exit 75) when a live process keeps the lock', async () => {
    await mkdir(dirname(file), { recursive: true })
    await writeFile(`${file}.lock`, `${process.pid}\n`)
    const error = await withReplyDb(file, DAY, () => undefined, { lockWaitMs: 100 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('VACATION_DB_BUSY')
    expect((error as AppError).exitCode).toBe(75)
  })

  it('takes over a stale lock (dead owner, or older than the stale limit)', async () => {
    await mkdir(dirname(file), { recursive: true })
    await writeFile(`${file}.lock`, '999999999\n')
    expect(await withReplyDb(file, DAY, () => 'ran', { lockWaitMs: 100 })).toBe('ran')
    await writeFile(`${file}.lock`, `${process.pid}\n`)
    const old = (Date.now() - 120_000) / 1000
    await utimes(`${file}.lock`, old, old)
    expect(await withReplyDb(file, DAY, () => 'ran again', { lockWaitMs: 100, staleLockMs: 60_000 })).toBe('ran again')
  })

  it('ReplyDb.prune reports what it dropped', () => {
    const db = new ReplyDb(new Map([['a', NOW - 2 * DAY], ['b', NOW]]), [])
    expect(db.prune(NOW, DAY, 10)).toBe(1)
    expect(db.changed).toBe(true)
  })
})
