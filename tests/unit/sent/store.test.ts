// The Sent-copy job store: durable add (hard link of the spool's data file), idempotence, set-aside, recovery.
import { mkdir, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SENT_JOB_VERSION, type SentJob } from '../../../src/main/sent/job'
import { ORPHAN_GRACE_MS, SentJobStore } from '../../../src/main/sent/store'
import { T0, ls, tempDir } from '../queue/helpers'
import { RAW } from './helpers'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

const ID = '0000000001AA00000000'
const job = (over: Partial<SentJob> = {}): SentJob => ({
  version: SENT_JOB_VERSION, id: ID, accountId: 'work', messageId: '<1@example.org>', sender: 'alice@example.org', bcc: [], queuedAt: T0,
  createdAt: T0, attempts: 0, failures: 0, appendTried: false, nextAttemptAt: T0, lastError: null, ...over
})

async function setup(): Promise<{ dir: string; store: SentJobStore; source: string }> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  await mkdir(join(dir, 'data'))
  const source = join(dir, 'data', ID)
  await writeFile(source, RAW)
  return { dir, store: new SentJobStore(dir), source }
}

describe('Sent-copy job store', () => {
  it('links the data file and writes the job; both survive the queue removing its copy', async () => {
    const { dir, store, source } = await setup()
    expect(await store.add(job(), source)).toBe('added')
    expect(await ls(join(dir, 'sent-copy'))).toEqual([ID, `${ID}.json`])
    expect((await stat(join(dir, 'sent-copy', ID))).ino).toBe((await stat(source)).ino)
    await unlink(source)
    expect((await store.readData(ID)).equals(RAW)).toBe(true)
    const read = await store.read(ID)
    expect(read).toEqual({ ok: true, job: job() })
    expect(JSON.parse(await readFile(join(dir, 'sent-copy', `${ID}.json`), 'utf8'))).toMatchObject({ accountId: 'work', attempts: 0, nextAttemptAt: T0, lastError: null })
  })

  it('is idempotent: a second add (queue run after a crash) keeps the first job as it is', async () => {
    const { store, source } = await setup()
    await store.add(job({ attempts: 3 }), source)
    expect(await store.add(job(), source)).toBe('exists')
    expect(await store.read(ID)).toMatchObject({ ok: true, job: { attempts: 3 } })
  })

  it('refuses (throws) when the spool data file is gone, and records nothing', async () => {
    const { dir, store, source } = await setup()
    await unlink(source)
    await expect(store.add(job(), source)).rejects.toThrow(/ENOENT/)
    expect(await ls(join(dir, 'sent-copy'))).toEqual([])
  })

  it('update rewrites the job through a tmp file; remove deletes job and message', async () => {
    const { dir, store, source } = await setup()
    await store.add(job(), source)
    await store.update(job({ attempts: 1, lastError: { code: 'IMAP_CONNECT', message: 'down', at: T0 } }))
    expect(await store.read(ID)).toMatchObject({ ok: true, job: { attempts: 1, lastError: { code: 'IMAP_CONNECT' } } })
    expect((await ls(join(dir, 'sent-copy'))).filter((n) => n.endsWith('.tmp'))).toEqual([])
    await store.remove(ID)
    expect(await ls(join(dir, 'sent-copy'))).toEqual([])
  })

  it('reports an unreadable job with the reason and sets it aside in failed/ without losing the message', async () => {
    const { dir, store, source } = await setup()
    await store.add(job(), source)
    await writeFile(join(dir, 'sent-copy', `${ID}.json`), '{"version": 1, "id": "')
    const read = await store.read(ID)
    expect(read).toMatchObject({ ok: false, error: expect.stringMatching(/not valid JSON/) })
    const where = await store.setAside(ID)
    expect(where).toBe(join(dir, 'sent-copy', 'failed', `${ID}.eml`))
    expect((await readFile(where)).equals(RAW)).toBe(true)
    expect(await store.ids()).toEqual([])
    // A second set-aside of the same id does not overwrite the first.
    await store.add(job(), source)
    await store.setAside(ID)
    expect(await ls(join(dir, 'sent-copy', 'failed'))).toEqual([`${ID}.1.eml`, `${ID}.1.json`, `${ID}.eml`, `${ID}.json`])
  })

  it('recovery removes tmp files and old messages without a job, keeps recent ones and real jobs', async () => {
    const { dir, store, source } = await setup()
    await store.add(job(), source)
    const sent = join(dir, 'sent-copy')
    await writeFile(join(sent, `.${ID}.123.1.tmp`), 'half')
    await writeFile(join(sent, 'OLDORPHAN'), RAW)
    await writeFile(join(sent, 'NEWORPHAN'), RAW)
    const old = new Date(Date.now() - ORPHAN_GRACE_MS - 60_000)
    await utimes(join(sent, 'OLDORPHAN'), old, old)
    await store.recover(Date.now())
    expect(await ls(sent)).toEqual([ID, `${ID}.json`, 'NEWORPHAN'])
  })
})
