// An attempt that makes every recipient sent is recorded by removing the message (no envelope rewrite first); every
// other case (recipients left, a notice, a frozen bounce, an onFinished hook, a concurrent change) still rewrites first.
import { describe, it, expect, afterEach, vi } from 'vitest'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Deliverer } from '../../../src/main/delivery/types'
import { type Envelope } from '../../../src/main/queue/envelope'
import { parseEnvelope } from '../../../src/main/queue/envelope-schema'
import { DirSyncer } from '../../../src/main/fsutil/durable'
import type { FinishedHook } from '../../../src/main/queue/notices'
import { QueueRunner } from '../../../src/main/queue/runner'
import { Spool } from '../../../src/main/queue/spool'
import { fakeClock, fakeDeliverer, fakeNotifier, ls, memoryLogger, message, tempDir } from './helpers'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function setup(deliverer: Deliverer, extra: { onFinished?: FinishedHook; wantsFinished?: (env: Envelope) => boolean } = {}) {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  const clock = fakeClock()
  const log = memoryLogger()
  const fsynced: string[] = []
  const syncer = new DirSyncer(async (d) => { fsynced.push(d) })
  const spool = await Spool.open(dir, { clock, log, syncer })
  const notifier = fakeNotifier()
  const changes: string[] = []
  const runner = new QueueRunner({ spool, deliverer, clock, log, notifier, onChange: (env, state) => changes.push(`${env.id} ${state}`), ...extra })
  const update = vi.spyOn(spool, 'update')
  return { dir, spool, runner, log, fsynced, update, notifier, changes }
}

describe('finishing by removal', () => {
  it('removes a message whose every recipient was sent without rewriting its envelope: one directory fsync', async () => {
    const { dir, spool, runner, log, fsynced, update, changes } = await setup(fakeDeliverer())
    const env = await spool.enqueue(message({ recipients: [{ address: 'bob@example.net' }, { address: 'carol@example.net' }] }))
    fsynced.length = 0
    const summary = await runner.runOnce({ force: false })
    expect(summary).toMatchObject({ sent: 2, deferred: 0, failed: 0 })
    expect(update).not.toHaveBeenCalled()
    for (const sub of ['queued', 'deferred', 'hold', 'data', 'tmp']) expect(await ls(join(dir, sub))).toEqual([])
    expect(fsynced.filter((d) => d.endsWith('queued'))).toHaveLength(1)
    expect(fsynced).toHaveLength(1)
    expect(changes).toEqual([`${env.id} sent`])
    expect(log.lines.filter((l) => l.includes('status=sent'))).toHaveLength(2)
    expect(log.lines.some((l) => l.includes(`${env.id}: status=removed`))).toBe(true)
  })

  it('still rewrites when a recipient is left (deferred) and removes by rewrite-then-remove when the last one is sent later', async () => {
    let first = true
    const { dir, spool, runner, update } = await setup(fakeDeliverer((rcpt) => (rcpt === 'carol@example.org' && first ? 'deferred' : 'sent')))
    const env = await spool.enqueue(message({ recipients: [{ address: 'bob@example.net' }, { address: 'carol@example.org' }] }))
    await runner.runOnce({ force: false })
    expect(update).toHaveBeenCalled()
    const stored = parseEnvelope(await readFile(join(dir, 'deferred', `${env.id}.json`)))
    expect(stored.recipients.map((r) => r.state)).toEqual(['sent', 'deferred'])
    first = false
    update.mockClear()
    await runner.runOnce({ force: true })
    expect(update).not.toHaveBeenCalled() // bob was recorded earlier; carol's 250 completes the message
    expect(await ls(join(dir, 'deferred'))).toEqual([])
  })

  it('records a failure durably before the failure notice goes out', async () => {
    const { dir, spool, runner, update, notifier } = await setup(fakeDeliverer(() => 'failed'))
    const env = await spool.enqueue(message())
    await runner.runOnce({ force: false })
    expect(update).toHaveBeenCalledTimes(1)
    expect(notifier.sent).toHaveLength(1)
    expect(await ls(join(dir, 'queued'))).toEqual([])
    expect(env.id).toBeTruthy()
  })

  it('records the sent state before an onFinished hook runs, and keeps it when the hook fails (never delivered again)', async () => {
    const seen: string[] = []
    let fail = true
    const dirRef = { dir: '' }
    const hook: FinishedHook = async (env) => {
      const onDisk = parseEnvelope(await readFile(join(dirRef.dir, 'queued', `${env.id}.json`)))
      seen.push(onDisk.recipients.map((r) => r.state).join(','))
      if (fail) throw new Error('Sent folder unavailable')
    }
    const deliverer = fakeDeliverer()
    const { dir, spool, runner, update } = await setup(deliverer, { onFinished: hook })
    dirRef.dir = dir
    await spool.enqueue(message())
    await runner.runOnce({ force: false })
    expect(update).toHaveBeenCalledTimes(1)
    expect(seen).toEqual(['sent'])
    fail = false
    await runner.runOnce({ force: true })
    expect(deliverer.requests).toHaveLength(1)
    expect(seen).toEqual(['sent', 'sent'])
    expect(await ls(join(dir, 'queued'))).toEqual([])
  })

  it('takes the removal fast path when the hook says it has nothing to do for this message, and not otherwise', async () => {
    const hooked: string[] = []
    const hook: FinishedHook = async (env) => { hooked.push(env.id) }
    const { spool, runner, update } = await setup(fakeDeliverer(), {
      onFinished: hook, wantsFinished: (env) => env.sender === 'alice@example.org'
    })
    const plain = await spool.enqueue(message({ sender: 'script@example.org' }))
    await runner.runOnce({ force: false })
    expect(update).not.toHaveBeenCalled()
    expect(hooked).toEqual([])
    expect(await spool.get(plain.id)).toBeNull()
    const copied = await spool.enqueue(message({ sender: 'alice@example.org' }))
    await runner.runOnce({ force: false })
    expect(update).toHaveBeenCalledTimes(1)
    expect(hooked).toEqual([copied.id])
  })

  it('falls back to the seq-checked rewrite when another process changed the envelope during delivery', async () => {
    const holder = { other: null as Spool | null, id: '' }
    const deliverer = fakeDeliverer()
    const base = deliverer.deliver.bind(deliverer)
    deliverer.deliver = async (request) => {
      await holder.other?.modify(request.queueId, (env) => ({ ...env, subject: 'changed elsewhere' }))
      return base(request)
    }
    const { dir, spool, runner, update, log } = await setup(deliverer)
    holder.other = await Spool.open(dir, { clock: fakeClock(), log: memoryLogger(), recover: false })
    const env = await spool.enqueue(message())
    await runner.runOnce({ force: false })
    expect(update).toHaveBeenCalled()
    expect(deliverer.requests).toHaveLength(1)
    expect(await ls(join(dir, 'queued'))).toEqual([])
    expect(log.lines.some((l) => l.includes(`${env.id}: status=removed`))).toBe(true)
  })
})
