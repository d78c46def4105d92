// The spool's commit protocol, group commits, rewrites between state directories, and removal.
import { describe, it, expect, afterEach } from 'vitest'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseEnvelope } from '../../../src/main/queue/envelope-schema'
import { DirSyncer, fsyncDir } from '../../../src/main/fsutil/durable'
import { Spool, SpoolConflictError } from '../../../src/main/queue/spool'
import { fakeClock, ls, memoryLogger, message, tempDir } from './helpers'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function openSpool(syncer?: DirSyncer): Promise<{ spool: Spool; dir: string; log: ReturnType<typeof memoryLogger> }> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  const log = memoryLogger()
  const spool = await Spool.open(dir, { clock: fakeClock(), log, ...(syncer ? { syncer } : {}) })
  return { spool, dir, log }
}

describe('enqueue', () => {
  it('creates the spool directories', async () => {
    const { dir } = await openSpool()
    expect(await ls(dir)).toEqual(['corrupt', 'data', 'deferred', 'hold', 'queued', 'tmp'])
  })

  it('has queued/<id>.json and data/<id> on disk and nothing in tmp/ once it resolves', async () => {
    const { spool, dir, log } = await openSpool()
    const input = message({ recipients: [{ address: 'bob@example.net' }, { address: 'carol@example.net', original: 'team@example.org' }] })
    const env = await spool.enqueue(input)
    expect(await ls(join(dir, 'queued'))).toEqual([`${env.id}.json`])
    expect(await ls(join(dir, 'data'))).toEqual([env.id])
    expect(await ls(join(dir, 'tmp'))).toEqual([])
    expect((await readFile(join(dir, 'data', env.id))).equals(input.data)).toBe(true)
    const onDisk = parseEnvelope(await readFile(join(dir, 'queued', `${env.id}.json`)))
    expect(onDisk).toEqual(env)
    expect(onDisk).toMatchObject({ version: 1, seq: 0, size: input.data.length, sender: 'alice@example.org', origin: 'ui', notBefore: null })
    expect(onDisk.recipients.map((r) => [r.address, r.original, r.state, r.attempts])).toEqual([
      ['bob@example.net', 'bob@example.net', 'pending', 0],
      ['carol@example.net', 'team@example.org', 'pending', 0]
    ])
    expect(log.lines.some((l) => l.includes(`${env.id}: from=<alice@example.org>`))).toBe(true)
  })

  it('refuses a message without recipients or with an invalid address, writing nothing', async () => {
    const { spool, dir } = await openSpool()
    await expect(spool.enqueue(message({ recipients: [] }))).rejects.toMatchObject({ code: 'NO_RECIPIENTS' })
    await expect(spool.enqueue(message({ recipients: [{ address: 'not an address' }] }))).rejects.toMatchObject({ code: 'INVALID_ADDRESS' })
    expect(await ls(join(dir, 'data'))).toEqual([])
  })

  it('accepts the null sender and lists a recipient once even if given twice', async () => {
    const { spool } = await openSpool()
    const env = await spool.enqueue(message({ sender: '', recipients: [{ address: 'bob@Example.NET' }, { address: 'bob@example.net' }] }))
    expect(env.sender).toBe('')
    expect(env.recipients).toHaveLength(1)
  })

  it('reports SPOOL_IO and leaves nothing behind when the commit fsync fails', async () => {
    const syncer = new DirSyncer(async (d) => {
      if (d.endsWith('queued')) throw new Error('EIO: i/o error')
      await fsyncDir(d)
    })
    const { spool, dir } = await openSpool(syncer)
    await expect(spool.enqueue(message())).rejects.toMatchObject({ code: 'SPOOL_IO' })
    for (const sub of ['tmp', 'data', 'queued']) expect(await ls(join(dir, sub))).toEqual([])
  })

  it('shares directory fsyncs among 50 concurrent enqueues, and all of them are listed', async () => {
    const syncer = new DirSyncer(async (d) => {
      await new Promise((r) => setTimeout(r, 5)) // a disk whose directory fsync takes 5 ms
      await fsyncDir(d)
    })
    const { spool, dir } = await openSpool(syncer)
    const envs = await Promise.all(Array.from({ length: 50 }, (_, i) => spool.enqueue(message({ subject: `m${i}` }))))
    expect(new Set(envs.map((e) => e.id)).size).toBe(50)
    // Without group commit: 100 (one per rename). With it: a handful per directory.
    expect(syncer.fsyncCount).toBeLessThan(50)
    const listed = await spool.list()
    expect(listed.map((e) => e.id).sort()).toEqual(envs.map((e) => e.id).sort())
    expect(await ls(join(dir, 'tmp'))).toEqual([])
    expect(await spool.counts()).toEqual({ queued: 50, deferred: 0, hold: 0, corrupt: 0 })
  })
})

describe('update and complete', () => {
  it('moves the envelope to deferred/ with seq+1 and removes the queued copy', async () => {
    const { spool, dir } = await openSpool()
    const env = await spool.enqueue(message())
    const next = await spool.update({ ...env, recipients: env.recipients.map((r) => ({ ...r, state: 'deferred', attempts: 1, nextAttemptAt: env.createdAt + 60_000 })) })
    expect(next.seq).toBe(1)
    expect(await ls(join(dir, 'queued'))).toEqual([])
    expect(await ls(join(dir, 'deferred'))).toEqual([`${env.id}.json`])
    expect(await spool.locate(env.id)).toMatchObject({ state: 'deferred', envelope: { seq: 1 } })
    const held = await spool.update({ ...next, recipients: next.recipients.map((r) => ({ ...r, state: 'held' })) })
    expect(held.seq).toBe(2)
    expect(await ls(join(dir, 'hold'))).toEqual([`${env.id}.json`])
    expect(await ls(join(dir, 'deferred'))).toEqual([])
    expect(await ls(join(dir, 'tmp'))).toEqual([])
  })

  it('refuses to overwrite a newer copy (stale seq)', async () => {
    const { spool } = await openSpool()
    const env = await spool.enqueue(message())
    await spool.update(env)
    await expect(spool.update(env)).rejects.toBeInstanceOf(SpoolConflictError)
  })

  it('complete removes the envelope and the data', async () => {
    const { spool, dir } = await openSpool()
    const env = await spool.enqueue(message())
    expect((await spool.readData(env.id)).length).toBe(env.size)
    await spool.complete(env.id)
    expect(await ls(join(dir, 'queued'))).toEqual([])
    expect(await ls(join(dir, 'data'))).toEqual([])
    expect(await spool.get(env.id)).toBeNull()
    await expect(spool.readData(env.id)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})
