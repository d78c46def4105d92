// Back-pressure: maxMessages, maxBytes and minFreeDisk refuse new mail with QUEUE_FULL (temporary, exit 75) naming
// the limit, touch nothing queued, and reach the CLI door through the runner's usage snapshot.
import { describe, it, expect, afterEach } from 'vitest'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from '../../../src/shared/result'
import { limitBroken, USAGE_FILE, type QueueLimits } from '../../../src/main/queue/limits'
import { QueueService } from '../../../src/main/queue/service'
import { Spool } from '../../../src/main/queue/spool'
import { fakeClock, fakeDeliverer, ls, memoryLogger, message, tempDir } from './helpers'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

const roomy: QueueLimits = { maxMessages: 1000, maxBytes: 1e12, minFreeDisk: 0 }

async function spoolWith(limits: Partial<QueueLimits>): Promise<{ dir: string; spool: Spool }> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  const spool = await Spool.open(dir, { clock: fakeClock(), log: memoryLogger(), limits: { ...roomy, ...limits } })
  return { dir, spool }
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

describe('back-pressure', () => {
  it('refuses past queue.maxMessages with QUEUE_FULL (exit 75) naming the limit, and leaves the queue as it was', async () => {
    const { dir, spool } = await spoolWith({ maxMessages: 2 })
    await spool.enqueue(message())
    await spool.enqueue(message())
    const before = { queued: await ls(join(dir, 'queued')), data: await ls(join(dir, 'data')) }
    const error = await refusal(spool.enqueue(message()))
    expect(error).toMatchObject({ code: 'QUEUE_FULL', details: { limit: 'queue.maxMessages' } })
    expect(error.message).toMatch(/^The outbox is full: 2 messages \(queue.maxMessages is 2\)/)
    expect(error.exitCode).toBe(75)
    expect(error.temporary).toBe(true)
    expect({ queued: await ls(join(dir, 'queued')), data: await ls(join(dir, 'data')) }).toEqual(before)
    expect(await ls(join(dir, 'tmp'))).toEqual([])
    // The queue's own notices still get in (a failed message can only leave once its notice is queued).
    await expect(spool.enqueue(message({ sender: '', origin: 'local' }))).resolves.toMatchObject({ sender: '' })
    await expect(spool.enqueue(message({ sender: '', origin: 'cli' }))).rejects.toMatchObject({ code: 'QUEUE_FULL' })
  })

  it('refuses a message that would pass queue.maxBytes, and accepts again once mail has left', async () => {
    const size = message().data.length
    const { spool } = await spoolWith({ maxBytes: size * 2 })
    const first = await spool.enqueue(message())
    await spool.enqueue(message())
    expect(await refusal(spool.enqueue(message()))).toMatchObject({ code: 'QUEUE_FULL', details: { limit: 'queue.maxBytes' } })
    await spool.complete(first.id, first.size)
    await expect(spool.enqueue(message())).resolves.toMatchObject({ size })
  })

  it('refuses when the disk has less free space than queue.minFreeDisk', async () => {
    const { spool } = await spoolWith({ minFreeDisk: Number.MAX_SAFE_INTEGER })
    const error = await refusal(spool.enqueue(message()))
    expect(error).toMatchObject({ code: 'QUEUE_FULL', details: { limit: 'queue.minFreeDisk' } })
    expect(error.message).toMatch(/free on the disk \(queue.minFreeDisk is/)
  })

  it('the CLI door (no recovery) checks against the snapshot the runner writes, or counts names without one', async () => {
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    const clock = fakeClock()
    const service = await QueueService.open({
      spoolDir: join(dir, 'spool'), lockFile: join(dir, 'run', 'queue.lock'), deliverer: fakeDeliverer(), clock, log: memoryLogger(),
      limits: { ...roomy, maxMessages: 3 }
    })
    cleanups.unshift(() => service.close())
    const cli = await Spool.open(join(dir, 'spool'), { clock, log: memoryLogger(), recover: false, limits: { ...roomy, maxMessages: 3 } })
    await service.submit({ ...message(), notBefore: clock.now() + 60_000 })
    const tight = await Spool.open(join(dir, 'spool'), { clock, log: memoryLogger(), recover: false, limits: { ...roomy, maxMessages: 1 } })
    expect(await refusal(tight.enqueue(message()))).toMatchObject({ code: 'QUEUE_FULL' }) // counted by name
    await cli.enqueue({ ...message(), notBefore: clock.now() + 60_000 }) // no snapshot yet: the CLI counts names (1 < 3)
    await service.becomeRunner()
    await service.submit({ ...message(), notBefore: clock.now() + 60_000 }) // runner now: exact counters, snapshot written
    await service.close()
    const snapshot = JSON.parse(await readFile(join(dir, 'spool', USAGE_FILE), 'utf8')) as { messages: number; bytes: number }
    expect(snapshot).toMatchObject({ messages: 3, bytes: 3 * message().data.length })
    expect(await refusal(cli.enqueue(message()))).toMatchObject({ code: 'QUEUE_FULL', details: { limit: 'queue.maxMessages' } })
  })

  it('status() says which limit makes the queue refuse, in words', async () => {
    expect(limitBroken(roomy, { messages: 1, bytes: 10 }, 1e9, 0)).toBeNull()
    expect(limitBroken({ ...roomy, maxBytes: 5 * 1024 * 1024 }, { messages: 1, bytes: 6 * 1024 * 1024 }, null, 0)).toEqual({
      limit: 'queue.maxBytes', sentence: '6 MiB of messages (queue.maxBytes is 5 MiB)'
    })
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    const service = await QueueService.open({
      spoolDir: join(dir, 'spool'), lockFile: join(dir, 'run', 'queue.lock'), deliverer: fakeDeliverer(), clock: fakeClock(), log: memoryLogger(),
      limits: { ...roomy, maxMessages: 1 }
    })
    cleanups.unshift(() => service.close())
    await service.becomeRunner()
    await service.submit({ ...message(), notBefore: Date.now() * 2 })
    const status = await service.status()
    expect(status).toMatchObject({ messages: 1, queued: 1, limits: { maxMessages: 1 }, offline: false })
    expect(status.refusing).toMatch(/queue.maxMessages/)
    expect(status.freeDisk).toBeGreaterThan(0)
  })
})
