// A queue run: outcomes recorded per recipient, retry times, forced runs, expiry, concurrency, maillog lines.
import { describe, it, expect, afterEach } from 'vitest'
import { join } from 'node:path'
import type { Deliverer, DeliveryRequest, RecipientOutcome } from '../../../src/main/delivery/types'
import { DirSyncer, fsyncDir } from '../../../src/main/fsutil/durable'
import { nextAttemptDelay } from '../../../src/main/queue/retry'
import { QueueRunner } from '../../../src/main/queue/runner'
import { Spool } from '../../../src/main/queue/spool'
import { T0, fakeClock, fakeDeliverer, ls, memoryLogger, message, replies, tempDir, type FakeClock } from './helpers'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function setup<D extends Deliverer>(deliverer: D): Promise<{ dir: string; spool: Spool; runner: QueueRunner; clock: FakeClock; log: ReturnType<typeof memoryLogger>; deliverer: D }> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  const clock = fakeClock()
  const log = memoryLogger()
  const spool = await Spool.open(dir, { clock, log })
  const runner = new QueueRunner({ spool, deliverer, clock, log })
  return { dir, spool, runner, clock, log, deliverer }
}

describe('queue run', () => {
  it('delivers a due message and removes it once every recipient is sent', async () => {
    const { dir, spool, runner, log, deliverer, clock } = await setup(fakeDeliverer())
    const env = await spool.enqueue(message())
    clock.advance(2500)
    const summary = await runner.runOnce({ force: false })
    expect(summary).toMatchObject({ messages: 1, attempted: 1, sent: 1, deferred: 0, failed: 0 })
    expect(deliverer.requests[0]).toMatchObject({ queueId: env.id, sender: 'alice@example.org', recipients: ['bob@example.net'], queuedAt: T0 })
    expect(deliverer.requests[0]?.data.equals(message().data)).toBe(true)
    for (const sub of ['queued', 'deferred', 'data']) expect(await ls(join(dir, sub))).toEqual([])
    expect(log.lines).toContain(`info smtp: ${env.id}: to=<bob@example.net>, relay=mx.example.net, delay=2.50, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XyZ)`)
  })

  it('defers on 450: deferred/ with attempts 1, next attempt in 60 s, last reply kept', async () => {
    const { dir, spool, runner, clock } = await setup(fakeDeliverer(() => 'deferred'))
    const env = await spool.enqueue(message())
    const summary = await runner.runOnce({ force: false })
    expect(summary).toMatchObject({ sent: 0, deferred: 1, failed: 0, nextWakeAt: clock.now() + 60_000 })
    expect(await ls(join(dir, 'queued'))).toEqual([])
    expect(await ls(join(dir, 'deferred'))).toEqual([`${env.id}.json`])
    const stored = await spool.get(env.id)
    expect(stored?.recipients[0]).toMatchObject({ state: 'deferred', attempts: 1, nextAttemptAt: T0 + 60_000, lastReply: replies.deferred })
    expect(stored?.seq).toBe(1)
  })

  it('records each recipient of one message separately (250 / 550 / 450)', async () => {
    const outcomeOf: Record<string, 'sent' | 'failed' | 'deferred'> = { 'a@example.net': 'sent', 'b@example.net': 'failed', 'c@example.net': 'deferred' }
    const { spool, runner, log } = await setup(fakeDeliverer((r) => outcomeOf[r] ?? 'sent'))
    const env = await spool.enqueue(message({ recipients: Object.keys(outcomeOf).map((address) => ({ address })) }))
    const summary = await runner.runOnce({ force: false })
    expect(summary).toMatchObject({ messages: 1, attempted: 3, sent: 1, failed: 1, deferred: 1 })
    const stored = await spool.locate(env.id)
    expect(stored?.state).toBe('deferred')
    expect(stored?.envelope.recipients.map((r) => [r.address, r.state, r.attempts, r.lastReply?.code])).toEqual([
      ['a@example.net', 'sent', 1, 250], ['b@example.net', 'failed', 1, 550], ['c@example.net', 'deferred', 1, 450]
    ])
    expect(log.lines.filter((l) => l.startsWith('info smtp:'))).toHaveLength(3)
    expect(log.lines.some((l) => l.includes('to=<b@example.net>') && l.includes('dsn=5.1.1, status=failed'))).toBe(true)
  })

  it('retries only the deferred recipient next time, and finishes the message when it is sent', async () => {
    const outcomeOf: Record<string, 'sent' | 'deferred'> = { 'a@example.net': 'sent', 'c@example.net': 'deferred' }
    const deliverer = fakeDeliverer((r) => outcomeOf[r] ?? 'sent')
    const { dir, spool, runner, clock } = await setup(deliverer)
    await spool.enqueue(message({ recipients: [{ address: 'a@example.net' }, { address: 'c@example.net' }] }))
    await runner.runOnce({ force: false })
    outcomeOf['c@example.net'] = 'sent'
    clock.advance(60_000)
    const summary = await runner.runOnce({ force: false })
    expect(deliverer.requests.map((r) => r.recipients)).toEqual([['a@example.net', 'c@example.net'], ['c@example.net']])
    expect(summary.sent).toBe(1)
    expect(await ls(join(dir, 'deferred'))).toEqual([])
    expect(await ls(join(dir, 'data'))).toEqual([])
  })

  it('skips a deferred message that is not due yet unless forced', async () => {
    const deliverer = fakeDeliverer(() => 'deferred')
    const { spool, runner, clock } = await setup(deliverer)
    const env = await spool.enqueue(message())
    await runner.runOnce({ force: false })
    clock.advance(30_000)
    expect(await runner.runOnce({ force: false })).toMatchObject({ messages: 0, attempted: 0, nextWakeAt: T0 + 60_000 })
    expect(deliverer.requests).toHaveLength(1)
    const forced = await runner.runOnce({ force: true })
    expect(forced).toMatchObject({ messages: 1, deferred: 1 })
    expect((await spool.get(env.id))?.recipients[0]).toMatchObject({ attempts: 2, nextAttemptAt: T0 + 30_000 + nextAttemptDelay(2) })
  })

  it('waits for a not-before time even when forced, and never touches held messages', async () => {
    const deliverer = fakeDeliverer()
    const { spool, runner, clock } = await setup(deliverer)
    await spool.enqueue(message({ notBefore: T0 + 10_000 }))
    const held = await spool.enqueue(message())
    await spool.update({ ...held, recipients: held.recipients.map((r) => ({ ...r, state: 'held' })) })
    expect(await runner.runOnce({ force: true })).toMatchObject({ messages: 0, nextWakeAt: T0 + 10_000 })
    clock.advance(10_000)
    expect(await runner.runOnce({ force: false })).toMatchObject({ messages: 1, sent: 1 })
    expect(deliverer.requests.every((r) => r.queueId !== held.id)).toBe(true)
    expect(await spool.counts()).toMatchObject({ queued: 0, hold: 1 })
  })

  it('gives up on a recipient still deferred after the lifetime: failed with 4.4.7', async () => {
    const { dir, spool, runner, clock, log } = await setup(fakeDeliverer(() => 'deferred'))
    const env = await spool.enqueue(message())
    await runner.runOnce({ force: false })
    clock.advance(5 * 24 * 3600_000)
    const summary = await runner.runOnce({ force: false })
    expect(summary).toMatchObject({ failed: 1, deferred: 0 })
    expect(await ls(join(dir, 'deferred'))).toEqual([])
    expect(log.lines.some((l) => l.includes(env.id) && l.includes('dsn=4.4.7, status=expired') && l.includes('gave up after 5 days'))).toBe(true)
  })

  it('schedules the last retry at the deadline, not past it', async () => {
    const { spool, runner, clock } = await setup(fakeDeliverer(() => 'deferred'))
    const env = await spool.enqueue(message())
    await runner.runOnce({ force: false })
    clock.set(T0 + 5 * 24 * 3600_000 - 3 * 60_000) // the 2nd retry would come 5 min later
    await runner.runOnce({ force: false })
    expect((await spool.get(env.id))?.recipients[0]?.nextAttemptAt).toBe(T0 + 5 * 24 * 3600_000)
  })

  it('records the sent recipient durably before the message is touched again, even if the deliverer omits one', async () => {
    const deliverer = {
      requests: [] as DeliveryRequest[],
      async deliver(request: DeliveryRequest): Promise<RecipientOutcome[]> {
        return [{ recipient: request.recipients[0] as string, status: 'sent', reply: replies.sent }]
      },
      async close() {}
    }
    const { spool, runner } = await setup(deliverer)
    const env = await spool.enqueue(message({ recipients: [{ address: 'a@example.net' }, { address: 'b@example.net' }] }))
    await runner.runOnce({ force: false })
    const stored = await spool.get(env.id)
    expect(stored?.recipients.map((r) => r.state)).toEqual(['sent', 'deferred'])
    expect(stored?.recipients[1]?.lastReply?.enhanced).toBe('4.3.0')
  })

  it('never re-sends to a recipient whose sent record failed to become durable; records it first on the next run', async () => {
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    let failDeferred = true
    const syncer = new DirSyncer(async (d) => {
      if (failDeferred && d.endsWith('deferred')) throw new Error('EIO: i/o error')
      await fsyncDir(d)
    })
    const clock = fakeClock()
    const log = memoryLogger()
    const spool = await Spool.open(dir, { clock, log, syncer })
    const outcomeOf: Record<string, 'sent' | 'deferred'> = { 'a@example.net': 'sent', 'c@example.net': 'deferred' }
    const deliverer = fakeDeliverer((r) => outcomeOf[r] ?? 'sent')
    const runner = new QueueRunner({ spool, deliverer, clock, log })
    const env = await spool.enqueue(message({ recipients: [{ address: 'a@example.net' }, { address: 'c@example.net' }] }))
    await runner.runOnce({ force: false })
    expect(log.lines.some((l) => l.includes('could not record the delivery outcome'))).toBe(true)
    failDeferred = false
    await runner.runOnce({ force: true })
    expect(deliverer.requests.map((r) => r.recipients)).toEqual([['a@example.net', 'c@example.net'], ['c@example.net']])
    const stored = await spool.get(env.id)
    expect(stored?.recipients.map((r) => [r.state, r.attempts])).toEqual([['sent', 1], ['deferred', 2]])
  })

  it('defers everything when the deliverer throws, instead of losing the message', async () => {
    const deliverer = { async deliver(): Promise<RecipientOutcome[]> { throw new Error('boom') }, async close() {} }
    const { spool, runner } = await setup(deliverer)
    const env = await spool.enqueue(message())
    expect(await runner.runOnce({ force: false })).toMatchObject({ deferred: 1 })
    expect((await spool.locate(env.id))?.state).toBe('deferred')
  })

  it('delivers at most N messages at once', async () => {
    let active = 0
    let peak = 0
    const deliverer = {
      async deliver(request: DeliveryRequest): Promise<RecipientOutcome[]> {
        active += 1
        peak = Math.max(peak, active)
        await new Promise((r) => setTimeout(r, 5))
        active -= 1
        return request.recipients.map((recipient) => ({ recipient, status: 'sent' as const, reply: replies.sent }))
      },
      async close() {}
    }
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    const clock = fakeClock()
    const spool = await Spool.open(dir, { clock, log: memoryLogger() })
    for (let i = 0; i < 12; i++) await spool.enqueue(message())
    const runner = new QueueRunner({ spool, deliverer, clock, log: memoryLogger(), concurrency: 3 })
    expect(await runner.runOnce({ force: false })).toMatchObject({ messages: 12, sent: 12 })
    expect(peak).toBe(3)
  })

  it('sets aside a message whose data file vanished', async () => {
    const { dir, spool, runner } = await setup(fakeDeliverer())
    const env = await spool.enqueue(message())
    const { unlink } = await import('node:fs/promises')
    await unlink(join(dir, 'data', env.id))
    expect(await runner.runOnce({ force: false })).toMatchObject({ messages: 0 })
    expect(await ls(join(dir, 'corrupt'))).toEqual([`${env.id}.json`])
  })
})
