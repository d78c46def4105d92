// The queue service: submit, live change events, the outbox list with finished messages, runner role and scheduling.
import { describe, it, expect, afterEach } from 'vitest'
import { join } from 'node:path'
import type { OutboxMessage } from '../../../src/shared/contract'
import type { DeliveryRequest, RecipientOutcome } from '../../../src/main/delivery/types'
import { QueueService, type QueueServiceOptions } from '../../../src/main/queue/service'
import { T0, fakeClock, fakeDeliverer, memoryLogger, message, replies, tempDir, type FakeClock } from './helpers'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function open(overrides: Partial<QueueServiceOptions> = {}): Promise<{ service: QueueService; clock: FakeClock; events: OutboxMessage[]; dir: string }> {
  const { dir, cleanup } = await tempDir()
  const clock = fakeClock()
  const service = await QueueService.open({
    spoolDir: join(dir, 'spool'), lockFile: join(dir, 'run', 'queue.lock'), deliverer: fakeDeliverer(), clock, log: memoryLogger(), ...overrides
  })
  cleanups.push(async () => {
    await service.close()
    await cleanup()
  })
  const events: OutboxMessage[] = []
  service.onChange((m) => events.push(m))
  return { service, clock, events, dir }
}

describe('QueueService', () => {
  it('announces a submitted message as queued and, as the runner, delivers it and shows it as sent', async () => {
    const { service, events } = await open()
    expect(await service.becomeRunner()).toBe(true)
    const { id } = await service.submit(message())
    await service.whenIdle()
    expect(events.map((e) => [e.id, e.state])).toEqual([[id, 'queued'], [id, 'sent']])
    expect(events[1]?.recipients[0]).toMatchObject({ state: 'sent', attempts: 1, lastReply: replies.sent })
    const listed = await service.list()
    expect(listed).toHaveLength(1)
    expect(listed[0]).toMatchObject({ id, state: 'sent', subject: 'Hello', origin: 'ui' })
  })

  it('only queues when another process is the runner, and lists the message as queued', async () => {
    const deliverer = fakeDeliverer()
    const { service, events } = await open({ deliverer })
    const { id } = await service.submit(message())
    await service.whenIdle()
    expect(deliverer.requests).toHaveLength(0)
    expect(events.map((e) => e.state)).toEqual(['queued'])
    expect((await service.list()).map((m) => [m.id, m.state])).toEqual([[id, 'queued']])
    await expect(service.flush()).rejects.toMatchObject({ code: 'QUEUE_BUSY' })
    expect(() => service.startScheduler()).toThrow(/not the queue runner/)
  })

  it('lets only one service of a spool be the runner', async () => {
    const { service, dir } = await open()
    expect(await service.becomeRunner()).toBe(true)
    const other = await QueueService.open({ spoolDir: join(dir, 'spool'), lockFile: join(dir, 'run', 'queue.lock'), deliverer: fakeDeliverer(), clock: fakeClock(), log: memoryLogger() })
    expect(await other.becomeRunner()).toBe(false)
    expect(await other.runnerPid()).toBe(process.pid)
    await service.close()
    expect(await other.becomeRunner()).toBe(true)
    await other.close()
  })

  it('shows a deferred message with its reply, then retries it when the timer fires', async () => {
    const deliverer = fakeDeliverer(() => 'deferred')
    const { service, clock, events } = await open({ deliverer })
    await service.becomeRunner()
    service.startScheduler()
    const { id } = await service.submit(message())
    await service.whenIdle()
    const listed = await service.list()
    expect(listed[0]).toMatchObject({ id, state: 'deferred', recipients: [{ state: 'deferred', attempts: 1, nextAttemptAt: T0 + 60_000 }] })
    expect(clock.pending()).toContain(T0 + 60_000)
    deliverer.decide = () => 'sent'
    clock.advance(60_000)
    await service.whenIdle()
    expect(deliverer.requests).toHaveLength(2)
    expect(events.map((e) => e.state)).toEqual(['queued', 'deferred', 'sent'])
    expect((await service.list())[0]?.state).toBe('sent')
  })

  it('never runs twice at once: kicks during a run become exactly one more run', async () => {
    let active = 0
    let peak = 0
    let calls = 0
    const deliverer = {
      async deliver(request: DeliveryRequest): Promise<RecipientOutcome[]> {
        calls += 1
        active += 1
        peak = Math.max(peak, active)
        await new Promise((r) => setTimeout(r, 10))
        active -= 1
        return request.recipients.map((recipient) => ({ recipient, status: 'sent' as const, reply: replies.sent }))
      },
      async close() {}
    }
    const { service } = await open({ deliverer, concurrency: 1 })
    await service.becomeRunner()
    await service.submit(message())
    for (let i = 0; i < 5; i++) service.kick()
    await service.submit(message())
    await service.whenIdle()
    expect(peak).toBe(1)
    expect(calls).toBe(2)
    expect((await service.list()).map((m) => m.state)).toEqual(['sent', 'sent'])
  })

  it('flush delivers deferred mail before its retry time and returns the summary', async () => {
    const deliverer = fakeDeliverer(() => 'deferred')
    const { service } = await open({ deliverer })
    await service.becomeRunner()
    await service.submit(message())
    await service.whenIdle()
    deliverer.decide = () => 'sent'
    expect(await service.flush()).toMatchObject({ messages: 1, sent: 1, deferred: 0, failed: 0 })
  })

  it('keeps only the last 200 finished messages in the list', async () => {
    const { service } = await open()
    await service.becomeRunner()
    for (let i = 0; i < 205; i++) await service.submit(message({ subject: `m${i}` }))
    await service.whenIdle()
    const listed = await service.list()
    expect(listed).toHaveLength(200)
    expect(listed.some((m) => m.subject === 'm204')).toBe(true)
  })

  it('reports a message whose recipients all failed as failed', async () => {
    const { service, events } = await open({ deliverer: fakeDeliverer(() => 'failed') })
    await service.becomeRunner()
    const { id } = await service.submit(message())
    await service.whenIdle()
    expect(events.at(-1)).toMatchObject({ id, state: 'failed' })
    expect((await service.list())[0]?.state).toBe('failed')
  })
})
