// Start-up recovery: damaged files set aside, duplicates resolved by seq, leftovers cleaned, nothing young touched.
import { describe, it, expect, afterEach } from 'vitest'
import { readFile, rename, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { serializeEnvelope } from '../../../src/main/queue/envelope'
import { parseEnvelope } from '../../../src/main/queue/envelope-schema'
import { newQueueId } from '../../../src/main/queue/ids'
import { Spool } from '../../../src/main/queue/spool'
import { T0, fakeClock, ls, memoryLogger, message, tempDir } from './helpers'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function spoolWith(): Promise<{ dir: string; spool: Spool }> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  const spool = await Spool.open(dir, { clock: fakeClock(), log: memoryLogger() })
  return { dir, spool }
}

async function reopen(dir: string, now = T0): Promise<{ spool: Spool; log: ReturnType<typeof memoryLogger> }> {
  const log = memoryLogger()
  const spool = await Spool.open(dir, { clock: fakeClock(now), log })
  return { spool, log }
}

describe('spool recovery', () => {
  it('moves a garbage envelope and its data to corrupt/, logs it, and still lists the rest', async () => {
    const { dir, spool } = await spoolWith()
    const good = await spool.enqueue(message())
    const bad = await spool.enqueue(message({ subject: 'doomed' }))
    await writeFile(join(dir, 'queued', `${bad.id}.json`), 'this is not json at all')
    const { spool: again, log } = await reopen(dir)
    expect((await again.list()).map((e) => e.id)).toEqual([good.id])
    expect(await ls(join(dir, 'corrupt'))).toEqual([`${bad.id}.data`, `${bad.id}.json`])
    expect(await ls(join(dir, 'data'))).toEqual([good.id])
    expect(log.lines.some((l) => l.startsWith('warn') && l.includes(bad.id) && l.includes('corrupt/'))).toBe(true)
    expect(again.recovery?.corrupt).toBe(1)
  })

  it('sets aside a truncated envelope', async () => {
    const { dir, spool } = await spoolWith()
    const env = await spool.enqueue(message())
    const path = join(dir, 'queued', `${env.id}.json`)
    const bytes = await readFile(path)
    await writeFile(path, bytes.subarray(0, 40))
    const { spool: again, log } = await reopen(dir)
    expect(await again.list()).toEqual([])
    expect(await ls(join(dir, 'corrupt'))).toEqual([`${env.id}.data`, `${env.id}.json`])
    expect(log.lines.join('\n')).toMatch(/truncated or damaged/)
  })

  it('keeps the copy with the highest seq when a message is in queued/ and deferred/', async () => {
    const { dir, spool } = await spoolWith()
    const env = await spool.enqueue(message())
    const newer = { ...env, seq: 3, recipients: env.recipients.map((r) => ({ ...r, state: 'deferred' as const, attempts: 1 })) }
    await writeFile(join(dir, 'deferred', `${env.id}.json`), serializeEnvelope(newer))
    const { spool: again } = await reopen(dir)
    expect(await ls(join(dir, 'queued'))).toEqual([])
    expect(await ls(join(dir, 'deferred'))).toEqual([`${env.id}.json`])
    expect(await again.locate(env.id)).toMatchObject({ state: 'deferred', envelope: { seq: 3 } })
    expect(again.recovery?.duplicatesRemoved).toBe(1)
  })

  it('keeps the good copy (and its data) when the other copy is damaged', async () => {
    const { dir, spool } = await spoolWith()
    const env = await spool.enqueue(message())
    await writeFile(join(dir, 'deferred', `${env.id}.json`), '{"version":1,')
    const { spool: again } = await reopen(dir)
    expect((await again.list()).map((e) => e.id)).toEqual([env.id])
    expect(await ls(join(dir, 'data'))).toEqual([env.id])
    expect(await ls(join(dir, 'corrupt'))).toEqual([`${env.id}.json`])
  })

  it('sets aside an envelope whose data file is missing', async () => {
    const { dir, spool } = await spoolWith()
    const env = await spool.enqueue(message())
    await rename(join(dir, 'data', env.id), join(dir, 'elsewhere'))
    const { spool: again } = await reopen(dir)
    expect(await again.list()).toEqual([])
    expect(await ls(join(dir, 'corrupt'))).toEqual([`${env.id}.json`])
  })

  it('removes leftover tmp files of dead writers but keeps a live writer\'s fresh one', async () => {
    const { dir } = await spoolWith()
    await writeFile(join(dir, 'tmp', 'leftover.tmp'), 'half a message')
    await writeFile(join(dir, 'tmp', `999999999-${newQueueId(T0)}-1.data`), 'dead writer')
    const live = `${process.pid}-${newQueueId(T0)}-1.data`
    await writeFile(join(dir, 'tmp', live), 'being written right now')
    const now = Date.now()
    const { spool: again } = await reopen(dir, now)
    expect(await ls(join(dir, 'tmp'))).toEqual([live])
    expect(again.recovery?.tmpRemoved).toBe(2)
  })

  it('removes a data file without envelope only when it is older than the grace period', async () => {
    const { dir } = await spoolWith()
    const young = newQueueId(T0)
    const old = newQueueId(T0)
    await writeFile(join(dir, 'data', young), 'an enqueue in progress')
    await writeFile(join(dir, 'data', old), 'a crash before the commit')
    await utimes(join(dir, 'data', young), new Date(T0 - 10 * 60_000), new Date(T0 - 10 * 60_000))
    await utimes(join(dir, 'data', old), new Date(T0 - 2 * 3600_000), new Date(T0 - 2 * 3600_000))
    const { spool: again } = await reopen(dir, T0)
    expect(await ls(join(dir, 'data'))).toEqual([young])
    expect(again.recovery?.orphansRemoved).toBe(1)
  })

  it('sets aside files in a state directory that are not <id>.json', async () => {
    const { dir } = await spoolWith()
    await writeFile(join(dir, 'deferred', 'notes.txt'), 'hello')
    await reopen(dir)
    expect(await ls(join(dir, 'deferred'))).toEqual([])
    expect(await ls(join(dir, 'corrupt'))).toEqual(['notes.txt'])
  })

  it('never overwrites what is already in corrupt/', async () => {
    const { dir, spool } = await spoolWith()
    const env = await spool.enqueue(message())
    await writeFile(join(dir, 'corrupt', `${env.id}.json`), 'earlier evidence')
    await writeFile(join(dir, 'queued', `${env.id}.json`), 'garbage')
    await reopen(dir)
    const names = await ls(join(dir, 'corrupt'))
    expect(names).toHaveLength(3)
    expect(await readFile(join(dir, 'corrupt', `${env.id}.json`), 'utf8')).toBe('earlier evidence')
  })

  it('leaves a healthy spool alone', async () => {
    const { dir, spool } = await spoolWith()
    const env = await spool.enqueue(message())
    const { spool: again } = await reopen(dir)
    expect(again.recovery).toMatchObject({ envelopes: 1, bytes: message().data.length, tmpRemoved: 0, corrupt: 0, duplicatesRemoved: 0, orphansRemoved: 0 })
    expect(parseEnvelope(await readFile(join(dir, 'queued', `${env.id}.json`)))).toEqual(env)
  })
})
