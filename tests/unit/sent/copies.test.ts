// Sent copies as their own job: recorded before the queue removes the message, appended once, retried with backoff,
// never re-sent through the queue; login failures and missing accounts reported clearly; gives up after 7 days.
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { QueueRunner } from '../../../src/main/queue/runner'
import { QueueService } from '../../../src/main/queue/service'
import { Spool } from '../../../src/main/queue/spool'
import { createSentCopies, type SentCopies } from '../../../src/main/sent/copies'
import { SentJobStore } from '../../../src/main/sent/store'
import { T0, fakeClock, fakeDeliverer, ls, memoryLogger, message, tempDir, type FakeClock } from '../queue/helpers'
import { authError, config, envelope, fakeAppender, lostConnection, RAW } from './helpers'

const MIN = 60_000
const ID = envelope().id
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function setup(cfg: Parameters<typeof createSentCopies>[0]['config'] = config): Promise<{
  dir: string; clock: FakeClock; log: ReturnType<typeof memoryLogger>; appender: ReturnType<typeof fakeAppender>; copies: SentCopies; store: SentJobStore; source: string
}> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  const clock = fakeClock()
  const log = memoryLogger()
  const appender = fakeAppender()
  const copies = createSentCopies({ spoolDir: dir, config: cfg, log, clock, appender })
  cleanups.push(() => copies.close())
  await mkdir(join(dir, 'data'))
  const source = join(dir, 'data', ID)
  await writeFile(source, RAW)
  return { dir, clock, log, appender, copies, store: new SentJobStore(dir), source }
}

async function job(store: SentJobStore): Promise<Record<string, unknown> | null> {
  const read = await store.read(ID)
  return read.ok ? read.job : null
}

describe('Sent copies (fake IMAP)', () => {
  it('records a job for a sent message and appends it once with its Date as internal date; then the job is gone', async () => {
    const { dir, appender, copies, store, source, log } = await setup()
    await copies.onFinished(envelope(), source)
    expect(await job(store)).toMatchObject({ accountId: 'work', messageId: '<1@example.org>', attempts: 0, nextAttemptAt: T0, lastError: null })
    const report = await copies.runOnce()
    expect(report).toMatchObject({ appended: 1, failed: 0, nextAttemptAt: null })
    expect(appender.opens).toEqual(['work'])
    expect(appender.appends).toHaveLength(1)
    expect(appender.appends[0]?.raw.equals(RAW)).toBe(true)
    expect(appender.appends[0]).toMatchObject({ messageId: '<1@example.org>', checkExisting: false, date: new Date('2025-01-07T10:00:00Z') })
    expect(appender.closes).toBe(1)
    expect(await ls(join(dir, 'sent-copy'))).toEqual([])
    expect(log.lines).toContain(`info sent: ${ID}: copy appended to "Sent" of account work (attempt 1)`)
    expect((await copies.runOnce()).appended).toBe(0)
  })

  it('records nothing for a message that does not deserve a copy', async () => {
    const { dir, copies, source } = await setup()
    await copies.onFinished(envelope({ origin: 'listener' }), source)
    await copies.onFinished(envelope({ sender: '', origin: 'local' }), source)
    await copies.onFinished(envelope({ recipients: envelope().recipients.map((r) => ({ ...r, state: 'failed' as const })) }), source)
    expect(await ls(dir)).toEqual(['data'])
  })

  it('logs and records nothing when the message data is gone (the queue may still finish the message)', async () => {
    const { dir, copies, source, log } = await setup()
    await rm(source)
    await copies.onFinished(envelope(), source)
    expect(await ls(dir)).toEqual(['data'])
    expect(log.lines.some((l) => l.startsWith(`error sent: ${ID}: no Sent copy: the message's data file is gone`))).toBe(true)
  })

  it('adds a Bcc field naming the blind copies to the copy only (the stored message is unchanged)', async () => {
    const { appender, copies, store, source } = await setup()
    const recipients = [...envelope().recipients, { ...envelope().recipients[0]!, address: 'carol@example.net', original: 'carol@example.net' }]
    await copies.onFinished(envelope({ recipients }), source)
    expect(await job(store)).toMatchObject({ bcc: ['carol@example.net'] })
    expect((await store.readData(ID)).equals(RAW)).toBe(true)
    await copies.runOnce()
    expect(appender.appends[0]?.raw.toString()).toBe(`Bcc: carol@example.net\r\n${RAW.toString()}`)
  })

  it('uses the queue time as internal date when the message has no Date header', async () => {
    const { appender, copies, source } = await setup()
    await writeFile(source, 'Subject: no date\r\n\r\nbody\r\n')
    await copies.onFinished(envelope(), source)
    await copies.runOnce()
    expect(appender.appends[0]?.date).toEqual(new Date(T0))
  })

  it('keeps the job after a failed APPEND, retries after 1, 5, 15, 60 min, and looks for an earlier copy first', async () => {
    const { clock, appender, copies, store, source, log } = await setup()
    await copies.onFinished(envelope(), source)
    appender.appendScript = [lostConnection(), lostConnection(), lostConnection(), lostConnection(), lostConnection()]
    const first = await copies.runOnce()
    expect(first).toMatchObject({ appended: 0, failed: 1, nextAttemptAt: T0 + MIN })
    expect(await job(store)).toMatchObject({ attempts: 1, failures: 1, appendTried: true, nextAttemptAt: T0 + MIN, lastError: { code: 'IMAP_CONNECT', message: lostConnection().message, at: T0 } })
    expect(log.lines.some((l) => l.startsWith(`warn sent: ${ID}: copy to the Sent mailbox of account work not done`))).toBe(true)
    // Not due yet: nothing is tried.
    clock.advance(MIN - 1)
    await copies.runOnce()
    expect(appender.appends).toHaveLength(1)
    const waits: number[] = []
    for (let i = 0; i < 4; i++) {
      const before = ((await job(store)) as { nextAttemptAt: number }).nextAttemptAt
      clock.set(before)
      await copies.runOnce()
      waits.push((((await job(store)) as { nextAttemptAt: number }).nextAttemptAt - clock.now()) / MIN)
    }
    expect(waits).toEqual([5, 15, 60, 60])
    expect(appender.appends.map((a) => a.checkExisting)).toEqual([false, true, true, true, true])
    // The server comes back: appended, and the job is gone.
    clock.advance(60 * MIN)
    expect(await copies.runOnce()).toMatchObject({ appended: 1 })
    expect(await job(store)).toBeNull()
  })

  it('does not append again when the earlier APPEND turns out to have arrived (Message-ID found)', async () => {
    const { clock, appender, copies, store, source, log } = await setup()
    await copies.onFinished(envelope(), source)
    appender.appendScript = [lostConnection(), 'present']
    await copies.runOnce()
    clock.advance(MIN)
    expect(await copies.runOnce()).toMatchObject({ appended: 0, present: 1 })
    expect(appender.appends[1]?.checkExisting).toBe(true)
    expect(await job(store)).toBeNull()
    expect(log.lines).toContain(`info sent: ${ID}: copy was already in "Sent" of account work (attempt 2)`)
  })

  it('reports a refused login clearly and retries it less often (1 h, then 6 h); no APPEND is counted', async () => {
    const { clock, appender, copies, store, source, log } = await setup()
    await copies.onFinished(envelope(), source)
    appender.openScript = [authError(), authError()]
    await copies.runOnce()
    expect(await job(store)).toMatchObject({ attempts: 0, failures: 1, appendTried: false, nextAttemptAt: T0 + 60 * MIN, lastError: { code: 'IMAP_AUTH' } })
    expect(log.lines.some((l) => l.startsWith(`error sent: ${ID}:`) && l.includes('refused the login for alice'))).toBe(true)
    clock.advance(60 * MIN)
    await copies.runOnce()
    expect(await job(store)).toMatchObject({ failures: 2, nextAttemptAt: clock.now() + 360 * MIN })
    expect(appender.appends).toHaveLength(0)
  })

  it('says so when the account is not configured, and keeps the job', async () => {
    const { appender, copies, store, source } = await setup({ accounts: [], identities: config.identities })
    await copies.onFinished(envelope({ sender: 'al@example.org' }), source)
    await copies.runOnce()
    expect(appender.opens).toEqual([])
    expect(await job(store)).toMatchObject({ lastError: { code: 'ACCOUNT_NOT_FOUND', message: expect.stringContaining('No account "work"') } })
  })

  it('after a lost connection, the other jobs of that account wait for the next run instead of hammering', async () => {
    const { appender, copies, store, source } = await setup()
    await copies.onFinished(envelope(), source)
    await copies.onFinished(envelope({ id: '0000000002AA00000000' }), source)
    appender.appendScript = [lostConnection()]
    expect(await copies.runOnce()).toMatchObject({ failed: 2 })
    expect(appender.appends).toHaveLength(1)
    const second = await store.read('0000000002AA00000000')
    expect(second).toMatchObject({ ok: true, job: { attempts: 0, appendTried: false, failures: 1, lastError: { code: 'IMAP_CONNECT' } } })
  })

  it('gives up after 7 days: logged, and the message is kept in sent-copy/failed/', async () => {
    const { dir, clock, appender, copies, source, log } = await setup()
    await copies.onFinished(envelope(), source)
    appender.appendScript = [lostConnection()]
    clock.advance(7 * 24 * 60 * MIN)
    expect(await copies.runOnce()).toMatchObject({ gaveUp: 1, nextAttemptAt: null })
    expect(await ls(join(dir, 'sent-copy', 'failed'))).toEqual([`${ID}.eml`, `${ID}.json`])
    expect(log.lines.some((l) => l.startsWith(`error sent: ${ID}: gave up copying to the Sent mailbox of account work`) && l.includes(join(dir, 'sent-copy', 'failed', `${ID}.eml`)))).toBe(true)
  })

  it('sets an unreadable job aside with a clear log line and still appends the others', async () => {
    const { dir, appender, copies, source, log } = await setup()
    await copies.onFinished(envelope(), source)
    await copies.onFinished(envelope({ id: '0000000002AA00000000' }), source)
    await writeFile(join(dir, 'sent-copy', `${ID}.json`), 'garbage')
    expect(await copies.runOnce()).toMatchObject({ appended: 1 })
    expect(appender.appends).toHaveLength(1)
    expect(log.lines.some((l) => l.startsWith(`error sent: ${ID}: unreadable Sent-copy job set aside (the job file is not valid JSON`))).toBe(true)
    expect(await ls(join(dir, 'sent-copy', 'failed'))).toEqual([`${ID}.eml`, `${ID}.json`])
  })

  it('start() runs due jobs on the clock and sleeps until the next attempt', async () => {
    const { clock, appender, copies, store, source } = await setup()
    await copies.onFinished(envelope(), source)
    appender.appendScript = [lostConnection()]
    await copies.start()
    clock.advance(0)
    await new Promise((r) => setTimeout(r, 50))
    expect(appender.appends).toHaveLength(1)
    clock.advance(MIN)
    await new Promise((r) => setTimeout(r, 50))
    expect(appender.appends).toHaveLength(2)
    expect(await job(store)).toBeNull()
  })

  it('a job recorded during a run is tried right after that run, not at the next idle wake-up', async () => {
    const { clock, appender, copies, store, source } = await setup()
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    const open = appender.open.bind(appender)
    appender.open = async (a) => {
      const session = await open(a)
      return { ...session, append: async (request) => { await gate; return session.append(request) } }
    }
    await copies.onFinished(envelope(), source)
    await copies.start()
    clock.advance(0)
    await new Promise((r) => setTimeout(r, 20))
    await copies.onFinished(envelope({ id: '0000000002AA00000000' }), source)
    release()
    await new Promise((r) => setTimeout(r, 50))
    clock.advance(0)
    await new Promise((r) => setTimeout(r, 50))
    expect(appender.appends).toHaveLength(2)
    expect(await store.ids()).toEqual([])
  })
})

describe('the queue hands finished messages over (onFinished)', () => {
  async function queueSetup(): Promise<{ dir: string; spool: Spool; clock: FakeClock; copies: SentCopies; appender: ReturnType<typeof fakeAppender>; deliverer: ReturnType<typeof fakeDeliverer>; runner: QueueRunner; hookFails: { on: boolean } }> {
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    const clock = fakeClock()
    const log = memoryLogger()
    const appender = fakeAppender()
    const copies = createSentCopies({ spoolDir: dir, config: { accounts: [{ ...config.accounts[0]!, email: 'alice@example.org' }], identities: [] }, log, clock, appender })
    const spool = await Spool.open(dir, { clock, log })
    const deliverer = fakeDeliverer()
    const hookFails = { on: false }
    const runner = new QueueRunner({
      spool, deliverer, clock, log,
      onFinished: async (env, dataPath) => {
        if (hookFails.on) throw new Error('ENOSPC: no space left on device')
        await copies.onFinished(env, dataPath)
      }
    })
    return { dir, spool, clock, copies, appender, deliverer, runner, hookFails }
  }

  it('the job is durable before the message leaves the queue; the copy carries the exact bytes sent', async () => {
    const { dir, spool, copies, appender, runner } = await queueSetup()
    const env = await spool.enqueue(message())
    await runner.runOnce({ force: false })
    expect(await ls(join(dir, 'data'))).toEqual([])
    expect(await ls(join(dir, 'sent-copy'))).toEqual([env.id, `${env.id}.json`])
    await copies.runOnce()
    expect(appender.appends[0]?.raw.equals(message().data)).toBe(true)
  })

  it('when the job cannot be recorded the message stays (all recipients final) and is never delivered again', async () => {
    const { dir, spool, clock, deliverer, runner, hookFails } = await queueSetup()
    const env = await spool.enqueue(message())
    hookFails.on = true
    await runner.runOnce({ force: false })
    expect(deliverer.requests).toHaveLength(1)
    expect((await spool.get(env.id))?.recipients[0]?.state).toBe('sent')
    hookFails.on = false
    clock.advance(60_000)
    await runner.runOnce({ force: true })
    expect(deliverer.requests).toHaveLength(1)
    expect(await spool.get(env.id)).toBeNull()
    expect(await ls(join(dir, 'sent-copy'))).toEqual([env.id, `${env.id}.json`])
  })

  it('a failing APPEND never touches the queue: the deliverer is called once however often the copy fails', async () => {
    const { spool, clock, copies, appender, deliverer, runner } = await queueSetup()
    await spool.enqueue(message())
    await runner.runOnce({ force: false })
    appender.appendScript = [lostConnection(), lostConnection(), lostConnection()]
    for (let i = 0; i < 3; i++) {
      await copies.runOnce({ force: true })
      await runner.runOnce({ force: true })
      clock.advance(60 * MIN)
    }
    expect(appender.appends).toHaveLength(3)
    expect(deliverer.requests).toHaveLength(1)
  })
})

describe('QueueService passes onFinished on (the container wiring)', () => {
  it('a message submitted and delivered by the service gets its Sent-copy job before it leaves the spool', async () => {
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    const clock = fakeClock()
    const log = memoryLogger()
    const spoolDir = join(dir, 'spool')
    const appender = fakeAppender()
    const copies = createSentCopies({ spoolDir, config: { accounts: [{ ...config.accounts[0]!, email: 'alice@example.org' }], identities: [] }, log, clock, appender })
    const service = await QueueService.open({
      spoolDir, lockFile: join(dir, 'run', 'queue.lock'), deliverer: fakeDeliverer(), clock, log, onFinished: (env, path) => copies.onFinished(env, path)
    })
    cleanups.push(() => service.close())
    expect(await service.becomeRunner()).toBe(true)
    const { id } = await service.submit(message())
    await service.whenIdle()
    expect(await ls(join(spoolDir, 'sent-copy'))).toEqual([id, `${id}.json`])
    expect(await copies.runOnce()).toMatchObject({ appended: 1 })
    expect(await ls(join(spoolDir, 'sent-copy'))).toEqual([])
  })
})
