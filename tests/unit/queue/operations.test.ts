// QueueService: send later / undo, offline detection, user operations (hold, release, freeze, thaw, retry now,
// delete, undo, edit recipients), operations from a process that is not the runner, and status events.
import { describe, it, expect, afterEach } from 'vitest'
import { join } from 'node:path'
import type { QueueStatus } from '../../../src/shared/contract'
import type { Deliverer, DeliveryRequest, RecipientOutcome } from '../../../src/main/delivery/types'
import { OFFLINE_PROBE_MIN_MS } from '../../../src/main/queue/offline'
import { QueueService, STATUS_MIN_INTERVAL_MS, type QueueServiceOptions } from '../../../src/main/queue/service'
import { T0, fakeClock, fakeDeliverer, fakeNotifier, ls, memoryLogger, message, replies, switchableDeliverer, tempDir, type FakeClock } from './helpers'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function open(overrides: Partial<QueueServiceOptions> = {}, runner = true): Promise<{ service: QueueService; clock: FakeClock; dir: string }> {
  const { dir, cleanup } = await tempDir()
  const clock = fakeClock()
  const service = await QueueService.open({
    spoolDir: join(dir, 'spool'), lockFile: join(dir, 'run', 'queue.lock'), deliverer: fakeDeliverer(), clock, log: memoryLogger(), ...overrides
  })
  cleanups.push(async () => {
    await service.close()
    await cleanup()
  })
  if (runner) {
    await service.becomeRunner()
    service.startScheduler()
    await service.whenIdle()
  }
  return { service, clock, dir }
}

/** A deliverer that blocks until released, to catch a message "being delivered right now". */
function blockingDeliverer(): Deliverer & { started: Promise<void>; finish: () => void } {
  let finish!: () => void
  let started!: () => void
  const gate = new Promise<void>((r) => { finish = r })
  const startedP = new Promise<void>((r) => { started = r })
  return {
    started: startedP,
    finish,
    async deliver(request: DeliveryRequest): Promise<RecipientOutcome[]> {
      started()
      await gate
      return request.recipients.map((recipient) => ({ recipient, status: 'sent' as const, reply: replies.sent }))
    },
    async close() {}
  }
}

describe('send later and undo send', () => {
  it('accepts notBefore, waits for it, and wakes the runner exactly then', async () => {
    const deliverer = fakeDeliverer()
    const { service, clock } = await open({ deliverer })
    const result = await service.submit({ ...message(), notBefore: T0 + 10_000 })
    expect(result.notBefore).toBe(T0 + 10_000)
    await service.whenIdle()
    expect(deliverer.requests).toHaveLength(0)
    expect(clock.pending()).toContain(T0 + 10_000)
    clock.advance(10_000)
    await service.whenIdle()
    expect(deliverer.requests.map((r) => r.queueId)).toEqual([result.id])
  })

  it('undoes a message before its not-before time, and refuses once the time has come', async () => {
    const deliverer = fakeDeliverer()
    const { service, clock, dir } = await open({ deliverer })
    const removed: string[] = []
    service.onRemoved((id) => removed.push(id))
    const a = await service.submit({ ...message(), notBefore: T0 + 10_000 })
    await service.undo(a.id)
    expect(removed).toEqual([a.id])
    expect(await ls(join(dir, 'spool', 'data'))).toEqual([])
    const b = await service.becomeRunner().then(() => service.submit({ ...message(), notBefore: T0 + 10_000 }))
    await service.whenIdle()
    clock.set(T0 + 10_000) // due now: the runner delivers it at once
    await service.whenIdle()
    await expect(service.undo(b.id)).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/already left the queue|already been sent/) })
    expect(deliverer.requests).toHaveLength(1)
  })

  it('refuses to undo a message that is being delivered right now', async () => {
    const deliverer = blockingDeliverer()
    const { service, clock } = await open({ deliverer })
    const { id } = await service.submit({ ...message(), notBefore: T0 + 1_000 })
    await service.whenIdle()
    clock.advance(1_000)
    await deliverer.started
    await expect(service.undo(id)).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/already being sent/) })
    deliverer.finish()
    await service.whenIdle()
  })
})

describe('offline', () => {
  it('goes offline when every attempt is unreachable: attempts do not count, only probes, then all retried at once', async () => {
    const mode: { now: 'sent' | 'unreachable' } = { now: 'unreachable' }
    const deliverer = switchableDeliverer(mode)
    const { service, clock } = await open({ deliverer })
    const statuses: QueueStatus[] = []
    service.onStatus((s) => statuses.push(s))
    const a = await service.submit(message({ recipients: [{ address: 'a@one.test' }] }))
    await service.whenIdle()
    const b = await service.submit(message({ recipients: [{ address: 'b@two.test' }] }))
    await service.whenIdle()
    expect((await service.status()).offline).toBe(true)
    const listed = await service.list()
    expect(listed.map((m) => m.recipients[0]?.attempts)).toEqual([0, 0])
    expect(listed[0]?.recipients[0]?.lastReply?.enhanced).toBe('4.4.1')
    // While offline each run probes one message only.
    const before = deliverer.requests.length
    clock.advance(OFFLINE_PROBE_MIN_MS)
    await service.whenIdle()
    expect(deliverer.requests.length - before).toBe(1)
    mode.now = 'sent'
    clock.advance(2 * OFFLINE_PROBE_MIN_MS)
    await service.whenIdle()
    expect((await service.status()).offline).toBe(false)
    expect((await service.list()).map((m) => [m.id, m.state])).toEqual([[a.id, 'sent'], [b.id, 'sent']])
    clock.advance(STATUS_MIN_INTERVAL_MS) // the last change always gets its status event, after the minimum interval
    await new Promise((r) => setTimeout(r, 20))
    expect(statuses.some((s) => s.offline)).toBe(true)
    expect(statuses.at(-1)?.offline).toBe(false)
  })

  it('setNetworkOnline(true) ends an offline pause and retries everything at once', async () => {
    const mode: { now: 'deferred' | 'sent' } = { now: 'deferred' }
    const deliverer = switchableDeliverer(mode)
    const { service } = await open({ deliverer })
    service.setNetworkOnline(false)
    expect((await service.status()).offline).toBe(true)
    const { id } = await service.submit(message())
    await service.whenIdle()
    expect((await service.status()).offline).toBe(false) // a server answered (450): the network is there
    mode.now = 'sent'
    service.setNetworkOnline(false)
    service.setNetworkOnline(true)
    await service.whenIdle()
    expect((await service.list()).find((m) => m.id === id)?.state).toBe('sent')
  })
})

describe('operations', () => {
  it('hold keeps a message from delivery; holding twice and releasing a frozen one say why not', async () => {
    const deliverer = fakeDeliverer()
    const { service } = await open({ deliverer })
    const { id } = await service.submit({ ...message(), notBefore: T0 + 60_000 })
    const held = await service.hold(id)
    expect(held).toMatchObject({ state: 'hold', hold: { kind: 'hold', by: 'user' } })
    await expect(service.hold(id)).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/already held/) })
    await service.freeze(id)
    await expect(service.release(id)).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/it is frozen; thaw it/) })
    await expect(service.retryNow(id)).rejects.toMatchObject({ code: 'INVALID_STATE' })
    await expect(service.hold('01JGWEJJ0000000000ZZ')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(deliverer.requests).toHaveLength(0)
  })

  it('release makes waiting recipients due now and delivers them', async () => {
    const deliverer = fakeDeliverer(() => 'deferred')
    const { service } = await open({ deliverer })
    const { id } = await service.submit(message())
    await service.whenIdle()
    await service.hold(id)
    deliverer.decide = () => 'sent'
    const released = await service.release(id)
    expect(released.recipients[0]?.nextAttemptAt).toBeNull()
    await service.whenIdle()
    expect((await service.list()).find((m) => m.id === id)?.state).toBe('sent')
  })

  it('thaw adds the frozen time to frozenMs, so it does not count towards the lifetime', async () => {
    const { service, clock } = await open()
    const { id } = await service.submit({ ...message(), notBefore: T0 + 3_600_000 })
    await service.freeze(id)
    clock.advance(7_200_000)
    await service.thaw(id)
    expect((await service.spool.get(id))?.frozenMs).toBe(7_200_000)
    await expect(service.thaw(id)).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/not frozen/) })
  })

  it('thawing a bounce frozen by the system tries its failed recipients once more', async () => {
    const deliverer = fakeDeliverer(() => 'failed')
    const { service } = await open({ deliverer, notifier: fakeNotifier() })
    const { id } = await service.submit(message({ sender: '' }))
    await service.whenIdle()
    expect((await service.list()).find((m) => m.id === id)).toMatchObject({ state: 'hold', hold: { kind: 'freeze', by: 'system' } })
    deliverer.decide = () => 'sent'
    await service.thaw(id)
    await service.whenIdle()
    expect(deliverer.requests).toHaveLength(2)
    expect((await service.list()).find((m) => m.id === id)?.state).toBe('sent')
  })

  it('retryNow clears the retry and not-before times and delivers at once', async () => {
    const deliverer = fakeDeliverer(() => 'deferred')
    const { service } = await open({ deliverer })
    const { id } = await service.submit(message())
    await service.whenIdle()
    deliverer.decide = () => 'sent'
    await service.retryNow(id)
    await service.whenIdle()
    expect(deliverer.requests).toHaveLength(2)
    expect((await service.list()).find((m) => m.id === id)?.state).toBe('sent')
  })

  it('delete with notifySender sends a deleted notice for the waiting recipients; without, none', async () => {
    const notifier = fakeNotifier()
    const { service, dir } = await open({ notifier })
    const removed: string[] = []
    service.onRemoved((id) => removed.push(id))
    const a = await service.submit({ ...message(), notBefore: T0 + 60_000 })
    const b = await service.submit({ ...message(), notBefore: T0 + 60_000 })
    const c = await service.submit({ ...message({ sender: '' }), notBefore: T0 + 60_000 })
    await service.remove(a.id, { notifySender: true })
    await service.remove(b.id, { notifySender: false })
    await service.remove(c.id, { notifySender: true })
    expect(notifier.sent.map((n) => [n.kind, n.envelope.id, n.recipients.map((r) => r.address)])).toEqual([['deleted', a.id, ['bob@example.net']]])
    expect(removed).toEqual([a.id, b.id, c.id])
    expect(await ls(join(dir, 'spool', 'queued'))).toEqual([])
    await expect(service.remove(a.id, { notifySender: false })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('delete waits for a delivery of that message to end, then says it has already left the queue', async () => {
    const deliverer = blockingDeliverer()
    const { service } = await open({ deliverer })
    const { id } = await service.submit(message())
    await deliverer.started
    let settled = false
    const removal = service.remove(id, { notifySender: false }).finally(() => { settled = true })
    await new Promise((r) => setTimeout(r, 30))
    expect(settled).toBe(false)
    deliverer.finish()
    await expect(removal).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/already left the queue \(sent\)/) })
  })

  it('edits the recipients of a held message only, validates them, and keeps those already sent', async () => {
    const outcomeOf: Record<string, 'sent' | 'deferred'> = { 'a@example.net': 'sent', 'b@example.net': 'deferred' }
    const { service } = await open({ deliverer: fakeDeliverer((r) => outcomeOf[r] ?? 'sent') })
    const { id } = await service.submit(message({ recipients: [{ address: 'a@example.net' }, { address: 'b@example.net' }] }))
    await service.whenIdle()
    await expect(service.editRecipients(id, ['c@example.net'])).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/hold it first/) })
    await service.hold(id)
    await expect(service.editRecipients(id, ['not an address'])).rejects.toMatchObject({ code: 'INVALID_ADDRESS' })
    const edited = await service.editRecipients(id, ['a@example.net', 'c@example.net'])
    expect(edited.recipients.map((r) => [r.address, r.state])).toEqual([['a@example.net', 'sent'], ['c@example.net', 'held']])
  })

  it('works from a process that is not the runner: a hold there stops the runner from delivering', async () => {
    const deliverer = fakeDeliverer()
    const { service: runner, dir } = await open({ deliverer })
    const cli = await QueueService.open({ spoolDir: join(dir, 'spool'), lockFile: join(dir, 'run', 'queue.lock'), deliverer: fakeDeliverer(), clock: fakeClock(), log: memoryLogger() })
    cleanups.unshift(() => cli.close())
    const { id } = await cli.submit({ ...message(), notBefore: T0 + 1_000 })
    await cli.hold(id)
    runner.kick()
    await runner.whenIdle()
    await runner.flush()
    expect(deliverer.requests).toHaveLength(0)
    expect((await runner.list()).find((m) => m.id === id)?.state).toBe('hold')
  })

  it('emits the status after a submission, at most once per interval', async () => {
    const { service, clock } = await open()
    const statuses: QueueStatus[] = []
    service.onStatus((s) => statuses.push(s))
    await service.submit({ ...message(), notBefore: T0 + 60_000 })
    await service.submit({ ...message(), notBefore: T0 + 60_000 })
    await new Promise((r) => setTimeout(r, 20))
    expect(statuses).toHaveLength(1)
    clock.advance(250)
    await new Promise((r) => setTimeout(r, 20))
    expect(statuses.map((s) => s.messages)).toEqual([1, 2])
    expect(statuses[1]).toMatchObject({ queued: 2, offline: false, refusing: null })
  })
})
