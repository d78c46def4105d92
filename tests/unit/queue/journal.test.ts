// spool/journal: the summary index behind mailq — replay, cross-check with the directories, damage, compaction.
import { describe, it, expect, afterEach } from 'vitest'
import { appendFile, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { toOutboxMessage } from '../../../src/main/queue/envelope'
import { journalPath, readSummaries, recordLine, removalLine, replay, type JournalSource } from '../../../src/main/queue/journal'
import type { OutboxMessage } from '../../../src/shared/contract'
import { Spool } from '../../../src/main/queue/spool'
import { fakeClock, memoryLogger, message, replies, tempDir } from './helpers'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function openSpool(): Promise<{ spool: Spool; dir: string; log: ReturnType<typeof memoryLogger> }> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  const log = memoryLogger()
  const spool = await Spool.open(dir, { clock: fakeClock(), log })
  return { spool, dir, log }
}

/** What mailq showed before the journal: every envelope read. */
async function truth(spool: Spool): Promise<unknown[]> {
  return (await spool.entries()).map((e) => toOutboxMessage(e.envelope, e.state))
}

/** Everything a reader yields, and how much of it came from the journal without reading an envelope. */
async function collect(source: JournalSource): Promise<{ messages: OutboxMessage[]; fromJournal: number }> {
  const messages: OutboxMessage[] = []
  let fromJournal = 0
  for await (const s of readSummaries(source)) {
    messages.push(s.message)
    if (s.line !== null) fromJournal += 1
  }
  return { messages, fromJournal }
}

async function list(spool: Spool): Promise<OutboxMessage[]> {
  const all: OutboxMessage[] = []
  for await (const m of spool.summaries()) all.push(m)
  return all
}

async function journalLines(dir: string): Promise<string[]> {
  return (await readFile(journalPath(dir), 'utf8')).split('\n').filter((l) => l !== '')
}

describe('journal replay', () => {
  it('keeps the highest seq per id, a later line on an equal seq, and drops removed ids', () => {
    const line = (id: string, seq: number, dir: string): string => `{"id":"${id}","seq":${seq},"dir":"${dir}","m":[]}\n`
    const text = line('A1', 2, 'deferred') + line('A1', 1, 'queued') + line('B2', 0, 'queued') + line('B2', 0, 'hold') +
      line('C3', 0, 'queued') + removalLine('C3')
    const known = replay(text)
    expect([...known.keys()].sort()).toEqual(['A1', 'B2'])
    expect(known.get('A1')).toMatchObject({ seq: 2, dir: 'deferred' })
    expect(known.get('B2')).toMatchObject({ seq: 0, dir: 'hold' })
  })

  it('skips corrupt, foreign, torn and empty lines without throwing', () => {
    const good = `{"id":"A1","seq":3,"dir":"queued","m":{}}\n`
    const text = `garbage\n\n{"id":1}\n${good}\u0000\u0000\n{"id":"B2","seq":"x","dir":"queued"}\n{"id":"C3","seq":1,"dir":"elsewhere"}\n{"id":"D4","se`
    const known = replay(text)
    expect([...known.keys()]).toEqual(['A1'])
  })
})

describe('Spool.summaries', () => {
  it('equals reading every envelope after enqueue, update, hold and complete, and reads no envelope to get there', async () => {
    const { spool, dir } = await openSpool()
    const a = await spool.enqueue(message({ subject: 'A' }))
    const b = await spool.enqueue(message({ subject: 'B', recipients: [{ address: 'x@example.net' }, { address: 'y@example.net' }] }))
    const c = await spool.enqueue(message({ subject: 'C' }))
    await spool.update({ ...b, recipients: b.recipients.map((r, i) => (i === 0 ? { ...r, state: 'sent', attempts: 1, lastReply: replies.sent } : { ...r, state: 'deferred', attempts: 1, lastReply: replies.deferred, nextAttemptAt: 99 })) })
    await spool.modify(c.id, (env) => ({ ...env, hold: { kind: 'hold', by: 'user', reason: 'wait', at: 5 } }))
    await spool.complete(a.id, a.size)
    const result = await collect({ root: dir, readEnvelope: async () => { throw new Error('must not read an envelope') } })
    expect(result.fromJournal).toBe(2)
    expect(result.messages).toEqual(await truth(spool))
    expect(await list(spool)).toEqual(await truth(spool))
    expect(result.messages.map((m) => [m.subject, m.state])).toEqual([['B', 'deferred'], ['C', 'hold']])
  })

  it('reads messages whose lines were lost (no journal at all, or lines missing) and appends them for next time', async () => {
    const { spool, dir } = await openSpool()
    for (let i = 0; i < 3; i++) await spool.enqueue(message({ subject: `m${i}` }))
    await unlink(journalPath(dir))
    expect(await list(spool)).toEqual(await truth(spool))
    expect(await journalLines(dir)).toHaveLength(3)
    const again = await collect({ root: dir, readEnvelope: async () => { throw new Error('must not read an envelope') } })
    expect(again.fromJournal).toBe(3)
  })

  it('trusts no stale record: a message moved to another directory is read, one that left the queue is dropped', async () => {
    const { spool, dir } = await openSpool()
    const a = await spool.enqueue(message({ subject: 'A' }))
    const b = await spool.enqueue(message({ subject: 'B' }))
    const stale = await readFile(journalPath(dir), 'utf8') // both in queued/
    await spool.modify(a.id, (env) => ({ ...env, hold: { kind: 'hold', by: 'user', reason: 'x', at: 1 } }))
    await spool.complete(b.id, b.size)
    const c = await spool.enqueue(message({ subject: 'C' }))
    await writeFile(journalPath(dir), stale) // lines of the hold, the removal and C lost
    const listed = await list(spool)
    expect(listed.map((m) => [m.id, m.state])).toEqual([[a.id, 'hold'], [c.id, 'queued']])
    expect(listed).toEqual(await truth(spool))
  })

  it('reads the envelope when a record line is damaged after its prefix, and lists a copy in two directories once (newest)', async () => {
    const { spool, dir } = await openSpool()
    const a = await spool.enqueue(message({ subject: 'A' }))
    const b = await spool.enqueue(message({ subject: 'B' }))
    await appendFile(journalPath(dir), `{"id":"${a.id}","seq":7,"dir":"queued","m":[1,"ui","a@b","s",1,null,null,null,[]]}\n`)
    await appendFile(journalPath(dir), `{"id":"${b.id}","seq":9,"dir":"queued","m":{trunc\n`)
    // A crash during a move left b in queued/ (seq 0) and deferred/ (seq 1).
    const moved = await spool.update({ ...b, recipients: b.recipients.map((r) => ({ ...r, state: 'deferred', attempts: 1, lastReply: replies.deferred })) })
    await writeFile(join(dir, 'queued', `${b.id}.json`), JSON.stringify(b))
    const listed = await list(spool)
    expect(listed.map((m) => [m.id, m.state, m.subject])).toEqual([[a.id, 'queued', 'A'], [b.id, 'deferred', 'B']])
    expect(listed[1]?.recipients[0]?.attempts).toBe(moved.recipients[0]?.attempts)
  })

  it('round-trips every field of the outbox view (original ≠ address, not-before, frozen, reply with human text)', async () => {
    const { spool, dir } = await openSpool()
    const env = await spool.enqueue(message({ notBefore: 123_456, recipients: [{ address: 'bob@example.net', original: 'team@example.org' }, { address: 'eve@example.net' }] }))
    await spool.modify(env.id, (e) => ({
      ...e, hold: { kind: 'freeze', by: 'system', reason: 'bounce of a bounce', at: 9 },
      recipients: e.recipients.map((r, i) => (i === 0 ? { ...r, state: 'failed', attempts: 3, lastReply: replies.failed } : r))
    }))
    const fromJournal = await collect({ root: dir, readEnvelope: async () => { throw new Error('must not read an envelope') } })
    expect(fromJournal.messages).toEqual(await truth(spool))
    expect(fromJournal.messages[0]?.recipients.map((r) => [r.original, r.state])).toEqual([['team@example.org', 'failed'], ['eve@example.net', 'held']])
  })

  it('reads the envelope for a record whose fields have the wrong types', async () => {
    const { spool, dir } = await openSpool()
    const env = await spool.enqueue(message())
    const bad = [
      `[1,"ftp","a@b","s",1,null,null,null,[["x@y","x@y","sent",1,null,null]]]`,
      `[1,"ui","a@b","s","big",null,null,null,[["x@y","x@y","sent",1,null,null]]]`,
      `[1,"ui","a@b","s",1,null,null,null,[["x@y","x@y","lost",1,null,null]]]`,
      `[1,"ui","a@b","s",1,null,null,null,[["x@y","x@y","sent",1,[5],null]]]`
    ]
    for (const [i, m] of bad.entries()) {
      await appendFile(journalPath(dir), `{"id":"${env.id}","seq":${i + 1},"dir":"queued","m":${m}}\n`)
      expect(await list(spool)).toEqual(await truth(spool))
    }
  })

  it('never crashes on a journal of random bytes', async () => {
    const { spool, dir } = await openSpool()
    await spool.enqueue(message())
    await writeFile(journalPath(dir), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)))
    expect(await list(spool)).toEqual(await truth(spool))
  })

  it('cuts long reply texts in the journal only', async () => {
    const env = { ...(await (await openSpool()).spool.enqueue(message())) }
    const long = { ...replies.deferred, text: 'x'.repeat(5000) }
    const line = recordLine({ ...env, recipients: env.recipients.map((r) => ({ ...r, lastReply: long })) }, 'deferred')
    expect(line.length).toBeLessThan(2000)
    expect(line.endsWith('\n')).toBe(true)
  })
})

describe('journal compaction', () => {
  it('is rebuilt by start-up recovery from the envelopes it read', async () => {
    const { spool, dir } = await openSpool()
    const a = await spool.enqueue(message())
    await spool.enqueue(message())
    await spool.complete(a.id, a.size)
    await appendFile(journalPath(dir), 'junk\n')
    expect(await journalLines(dir)).toHaveLength(4)
    const reopened = await Spool.open(dir, { clock: fakeClock(), log: memoryLogger() })
    expect(await journalLines(dir)).toHaveLength(1)
    expect(await list(reopened)).toEqual(await truth(reopened))
  })

  it('shrinks to one line per live message and keeps what a concurrent appender wrote meanwhile', async () => {
    const { spool, dir } = await openSpool()
    const ids: string[] = []
    for (let i = 0; i < 30; i++) ids.push((await spool.enqueue(message({ subject: `m${i}` }))).id)
    for (const id of ids.slice(0, 20)) await spool.complete(id)
    expect(await journalLines(dir)).toHaveLength(50)
    // Another process appending while the compaction runs (an enqueue through a second Spool on the same directory).
    const other = await Spool.open(dir, { clock: fakeClock(), log: memoryLogger(), recover: false })
    const racing = Array.from({ length: 10 }, (_, i) => other.enqueue(message({ subject: `late${i}` })))
    const [compacted] = await Promise.all([spool.journal.compact(), ...racing])
    expect(compacted).toBe(true)
    const lines = await journalLines(dir)
    expect(lines.length).toBeGreaterThanOrEqual(20)
    expect(lines.length).toBeLessThanOrEqual(30)
    const check = await collect({ root: dir, readEnvelope: (d, n) => spool.readEnvelope(d, n) })
    expect(check.messages).toEqual(await truth(spool))
    expect(check.messages).toHaveLength(20)
  })

  it('loses nothing for good when a line appended to the old file is lost in the rename (the cross-check reads it)', async () => {
    const { spool, dir } = await openSpool()
    const a = await spool.enqueue(message({ subject: 'A' }))
    const text = await readFile(journalPath(dir), 'utf8')
    const late = await spool.enqueue(message({ subject: 'late' }))
    // The compactor's new file (without the late line) replaces the old one after the appender wrote to the old one.
    await writeFile(`${journalPath(dir)}.new`, text)
    await rename(`${journalPath(dir)}.new`, journalPath(dir))
    expect((await list(spool)).map((m) => m.id)).toEqual([a.id, late.id])
  })

  it('runs only past COMPACT_FACTOR × the live size and never throws when the journal is gone', async () => {
    const { spool, dir } = await openSpool()
    expect(await spool.journal.maybeCompact(1)).toBe(false)
    await spool.enqueue(message())
    expect(await spool.journal.maybeCompact(1)).toBe(false) // tiny
    await appendFile(journalPath(dir), `${'x'.repeat(1000)}\n`.repeat(400))
    expect(await spool.journal.maybeCompact(10_000)).toBe(false) // big, but small for 10k live messages
    expect(await spool.journal.maybeCompact(1)).toBe(true)
    expect(await journalLines(dir)).toHaveLength(1)
  })
})
