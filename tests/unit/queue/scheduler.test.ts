// Scheduling rules of a queue run: retry policy from config, lifetime with frozen time, delay warning, failure
// notices, frozen bounces, destinations (grouping, limits, fairness), the bounded due set and the mtime shortcut.
import { describe, it, expect, afterEach } from 'vitest'
import { stat, writeFile, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import type { Deliverer, DeliveryRequest, RecipientOutcome } from '../../../src/main/delivery/types'
import { configSchema } from '../../../src/main/config/schema'
import { defaultRetryPolicy, retryPolicyFromSettings } from '../../../src/main/queue/retry'
import { queueOptionsFromSettings } from '../../../src/main/queue/service'
import { QueueRunner, type QueueRunnerOptions } from '../../../src/main/queue/runner'
import { Spool } from '../../../src/main/queue/spool'
import { T0, fakeClock, fakeDeliverer, fakeNotifier, ls, memoryLogger, message, replies, tempDir, type FakeClock } from './helpers'

const HOUR = 3600_000
const DAY = 24 * HOUR
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function setup(deliverer: Deliverer, options: Partial<QueueRunnerOptions> = {}): Promise<{ dir: string; spool: Spool; runner: QueueRunner; clock: FakeClock; log: ReturnType<typeof memoryLogger> }> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  const clock = fakeClock()
  const log = memoryLogger()
  const spool = await Spool.open(dir, { clock, log })
  const runner = new QueueRunner({ spool, deliverer, clock, log, ...options })
  return { dir, spool, runner, clock, log }
}

function slowDeliverer(ms = 5): Deliverer & { starts: string[]; peak: Map<string, number>; peakAll: number } {
  const active = new Map<string, number>()
  let all = 0
  const fake = {
    starts: [] as string[],
    peak: new Map<string, number>(),
    peakAll: 0,
    async deliver(request: DeliveryRequest): Promise<RecipientOutcome[]> {
      const domain = (request.recipients[0] as string).split('@')[1] as string
      fake.starts.push(domain)
      active.set(domain, (active.get(domain) ?? 0) + 1)
      all += 1
      fake.peak.set(domain, Math.max(fake.peak.get(domain) ?? 0, active.get(domain) as number))
      fake.peakAll = Math.max(fake.peakAll, all)
      await new Promise((r) => setTimeout(r, ms))
      active.set(domain, (active.get(domain) as number) - 1)
      all -= 1
      return request.recipients.map((recipient) => ({ recipient, status: 'sent' as const, reply: replies.sent }))
    },
    async close() {}
  }
  return fake
}

describe('retry policy and lifetime', () => {
  it('turns the default config.queue into the documented defaults (1, 5, 15, 30 min, then hourly; 5 days; 4 h)', () => {
    const options = queueOptionsFromSettings(configSchema.parse({}).queue)
    expect(options).toEqual({
      concurrency: 16, perDestination: 4, retry: defaultRetryPolicy, delayWarningMs: 4 * HOUR,
      limits: { maxMessages: 100_000, maxBytes: 2 * 1024 ** 3, minFreeDisk: 100 * 1024 ** 2 }
    })
  })

  it('takes the retry schedule from config: all but the last entry once, then the last one repeating', async () => {
    const retry = retryPolicyFromSettings({ retrySchedule: [120_000, 600_000], lifetime: DAY })
    expect(retry).toEqual({ schedule: [120], interval: 600, lifetime: DAY })
    const { spool, runner, clock } = await setup(fakeDeliverer(() => 'deferred'), { retry })
    const env = await spool.enqueue(message())
    const seen: (number | null | undefined)[] = []
    for (let i = 0; i < 3; i++) {
      await runner.runOnce({ force: false })
      const r = (await spool.get(env.id))?.recipients[0]
      seen.push((r?.nextAttemptAt ?? 0) - clock.now())
      clock.set(r?.nextAttemptAt as number)
    }
    expect(seen).toEqual([120_000, 600_000, 600_000])
  })

  it('counts the lifetime from creation plus the time spent frozen, then fails the recipient with 4.4.7', async () => {
    const { dir, spool, runner, clock, log } = await setup(fakeDeliverer(() => 'deferred'))
    const env = await spool.enqueue(message())
    await spool.update({ ...env, frozenMs: DAY })
    clock.set(T0 + 5 * DAY + HOUR)
    await runner.runOnce({ force: false })
    expect((await spool.get(env.id))?.recipients[0]).toMatchObject({ state: 'deferred', nextAttemptAt: T0 + 5 * DAY + HOUR + 60_000 })
    expect(log.lines.some((l) => l.includes('dsn=4.4.7'))).toBe(false)
    clock.set(T0 + 6 * DAY)
    await runner.runOnce({ force: false })
    expect(log.lines.some((l) => l.includes(env.id) && l.includes('dsn=4.4.7, status=expired'))).toBe(true)
    expect(await ls(join(dir, 'deferred'))).toEqual([])
  })
})

describe('notices', () => {
  it('sends one delay warning once a recipient has waited queue.delayWarning, and records it durably', async () => {
    const notifier = fakeNotifier()
    const { spool, runner, clock } = await setup(fakeDeliverer(() => 'deferred'), { notifier, delayWarningMs: 4 * HOUR })
    const env = await spool.enqueue(message())
    await runner.runOnce({ force: false })
    clock.set(T0 + 3 * HOUR)
    await runner.runOnce({ force: true })
    expect(notifier.sent).toEqual([])
    clock.set(T0 + 4 * HOUR)
    await runner.runOnce({ force: true })
    clock.set(T0 + 5 * HOUR)
    await runner.runOnce({ force: true })
    expect(notifier.sent.map((n) => [n.kind, n.recipients.map((r) => r.address), n.recipients[0]?.willRetryUntil])).toEqual([['delay', ['bob@example.net'], T0 + 5 * DAY]])
    const stored = await spool.get(env.id)
    expect(stored?.warnedAt).toBe(T0 + 4 * HOUR)
    expect(stored?.recipients[0]?.warned).toBe(true)
  })

  it('never warns about a delay when the sender is <> or delayWarning is 0', async () => {
    const notifier = fakeNotifier()
    const a = await setup(fakeDeliverer(() => 'deferred'), { notifier, delayWarningMs: HOUR })
    await a.spool.enqueue(message({ sender: '' }))
    const b = await setup(fakeDeliverer(() => 'deferred'), { notifier, delayWarningMs: 0 })
    await b.spool.enqueue(message())
    for (const s of [a, b]) {
      await s.runner.runOnce({ force: false })
      s.clock.set(T0 + 2 * DAY)
      await s.runner.runOnce({ force: true })
    }
    expect(notifier.sent).toEqual([])
  })

  it('sends the failure notice while the message is still in the spool, then removes it', async () => {
    let spoolRef: Spool | null = null
    const inSpoolAtNotice: boolean[] = []
    const notifier = fakeNotifier(async (request) => {
      inSpoolAtNotice.push((await spoolRef?.get(request.envelope.id)) !== null)
    })
    const outcomeOf: Record<string, 'sent' | 'failed'> = { 'a@example.net': 'sent', 'b@example.net': 'failed' }
    const { dir, spool, runner } = await setup(fakeDeliverer((r) => outcomeOf[r] ?? 'sent'), { notifier })
    spoolRef = spool
    await spool.enqueue(message({ recipients: [{ address: 'a@example.net' }, { address: 'b@example.net' }] }))
    await runner.runOnce({ force: false })
    expect(notifier.sent.map((n) => [n.kind, n.recipients.map((r) => [r.address, r.reply?.code])])).toEqual([['failure', [['b@example.net', 550]]]])
    expect(notifier.sent[0]?.data.equals(message().data)).toBe(true)
    expect(inSpoolAtNotice).toEqual([true])
    expect(await ls(join(dir, 'data'))).toEqual([])
  })

  it('keeps a failed message when its notice cannot be sent, and sends it on a later run', async () => {
    const notifier = fakeNotifier()
    notifier.fail = true
    const { dir, spool, runner, clock, log } = await setup(fakeDeliverer(() => 'failed'), { notifier })
    const env = await spool.enqueue(message())
    const first = await runner.runOnce({ force: false })
    expect(first.nextWakeAt).toBe(T0 + 60_000)
    expect(log.lines.some((l) => l.includes('could not finish this message yet') && l.includes('ENOSPC'))).toBe(true)
    expect((await spool.get(env.id))?.recipients[0]?.state).toBe('failed')
    notifier.fail = false
    clock.advance(60_000)
    await runner.runOnce({ force: false })
    expect(notifier.sent.map((n) => n.kind)).toEqual(['failure'])
    expect(await ls(join(dir, 'data'))).toEqual([])
  })

  it('after a crash between the notice and the removal, only the notice is repeated, never the delivery', async () => {
    const notifier = fakeNotifier()
    const deliverer = fakeDeliverer(() => 'failed')
    const { dir, spool, runner } = await setup(deliverer, { notifier })
    await spool.enqueue(message())
    const complete = spool.complete.bind(spool)
    spool.complete = async () => { throw new Error('killed before the removal') } // the crash window
    await runner.runOnce({ force: false })
    spool.complete = complete
    await runner.runOnce({ force: true })
    expect(notifier.sent.map((n) => n.kind)).toEqual(['failure', 'failure'])
    expect(deliverer.requests).toHaveLength(1)
    expect(await ls(join(dir, 'data'))).toEqual([])
  })

  it('freezes an undeliverable message from <> in hold/ instead of bouncing it', async () => {
    const notifier = fakeNotifier()
    const deliverer = fakeDeliverer(() => 'failed')
    const { dir, spool, runner } = await setup(deliverer, { notifier })
    const env = await spool.enqueue(message({ sender: '' }))
    await runner.runOnce({ force: false })
    expect(notifier.sent).toEqual([])
    expect(await ls(join(dir, 'hold'))).toEqual([`${env.id}.json`])
    const entry = await spool.locate(env.id)
    expect(entry?.envelope.hold).toMatchObject({ kind: 'freeze', by: 'system' })
    expect(entry?.envelope.hold?.reason).toMatch(/^bounce of a bounce cannot be delivered: bob@example.net: The address does not exist/)
    await runner.runOnce({ force: true })
    expect(deliverer.requests).toHaveLength(1)
  })
})

describe('claims', () => {
  it('leaves a message alone while a user operation holds its claim, and looks again a second later', async () => {
    const deliverer = fakeDeliverer()
    const { spool, runner, clock } = await setup(deliverer)
    const env = await spool.enqueue(message())
    const release = runner.claims.tryClaim(env.id, 'op')
    expect(await runner.runOnce({ force: false })).toMatchObject({ messages: 0, nextWakeAt: clock.now() + 1_000 })
    release?.()
    expect(await runner.runOnce({ force: false })).toMatchObject({ messages: 1, sent: 1 })
  })
})

describe('destinations', () => {
  it('calls the deliverer once per recipient domain (lower-cased) with that domain\'s recipients', async () => {
    const deliverer = fakeDeliverer()
    const { spool, runner } = await setup(deliverer)
    await spool.enqueue(message({ recipients: [{ address: 'a@one.test' }, { address: 'b@two.test' }, { address: 'c@ONE.test' }] }))
    expect(await runner.runOnce({ force: false })).toMatchObject({ messages: 1, attempted: 3, sent: 3 })
    expect(deliverer.requests.map((r) => r.recipients).sort()).toEqual([['a@one.test', 'c@ONE.test'], ['b@two.test']])
  })

  it('keeps the global and per-destination limits and takes destinations in turn', async () => {
    const deliverer = slowDeliverer()
    const { spool, runner } = await setup(deliverer, { concurrency: 3, perDestination: 2 })
    for (let i = 0; i < 8; i++) await spool.enqueue(message({ recipients: [{ address: `u${i}@big.test` }] }))
    await spool.enqueue(message({ recipients: [{ address: 'x@small.test' }] }))
    await spool.enqueue(message({ recipients: [{ address: 'y@other.test' }] }))
    expect(await runner.runOnce({ force: false })).toMatchObject({ messages: 10, sent: 10 })
    expect(deliverer.peakAll).toBe(3)
    expect(deliverer.peak.get('big.test')).toBe(2)
    // The two small destinations do not wait behind the eight messages of the big one.
    expect(deliverer.starts.slice(0, 3).sort()).toEqual(['big.test', 'other.test', 'small.test'])
  })
})

describe('memory and scanning', () => {
  it('keeps a bounded set of due messages and scans again until everything due is done', async () => {
    const deliverer = fakeDeliverer()
    const { spool, runner } = await setup(deliverer, { maxDuePerScan: 5 })
    for (let i = 0; i < 12; i++) await spool.enqueue(message())
    expect(await runner.runOnce({ force: false })).toMatchObject({ messages: 12, sent: 12 })
  })

  it('stamps a deferred envelope\'s mtime with its next attempt and skips parsing it until then', async () => {
    const { dir, spool, runner, clock, log } = await setup(fakeDeliverer(() => 'deferred'))
    const env = await spool.enqueue(message())
    await runner.runOnce({ force: false })
    const path = join(dir, 'deferred', `${env.id}.json`)
    expect(Math.round((await stat(path)).mtimeMs)).toBe(T0 + 60_000)
    // Garbage with a future mtime is not even read: the run reports the mtime as the next wake-up.
    await writeFile(path, 'garbage')
    await utimes(path, T0 / 1000, (T0 + 60_000) / 1000)
    expect(await runner.runOnce({ force: false })).toMatchObject({ messages: 0, nextWakeAt: T0 + 60_000 })
    expect(log.lines.some((l) => l.includes('skipped unreadable envelope'))).toBe(false)
    clock.advance(60_000)
    await runner.runOnce({ force: false })
    expect(log.lines.some((l) => l.includes('skipped unreadable envelope'))).toBe(true)
  })

  it('a run after a submission (light) looks at new mail only, unless something deferred is known to be due', async () => {
    const deliverer = fakeDeliverer((r) => (r === 'slow@example.net' ? 'deferred' : 'sent'))
    const { dir, spool, runner, clock, log } = await setup(deliverer)
    const a = await spool.enqueue(message({ recipients: [{ address: 'slow@example.net' }] }))
    await runner.runOnce({ force: false })
    // Make the deferred file something a full scan would notice (read and reported) even before its retry time.
    const path = join(dir, 'deferred', `${a.id}.json`)
    await writeFile(path, 'garbage')
    await utimes(path, T0 / 1000, (T0 - 1000) / 1000)
    const unreadable = (): boolean => log.lines.some((l) => l.includes('skipped unreadable envelope'))
    await spool.enqueue(message())
    expect(await runner.runOnce({ force: false, light: true })).toMatchObject({ messages: 1, sent: 1, nextWakeAt: T0 + 60_000 })
    expect(unreadable()).toBe(false)
    clock.advance(60_000) // the known retry time has come: even a light run scans deferred/ now
    await runner.runOnce({ force: false, light: true })
    expect(unreadable()).toBe(true)
  })

  it('Spool.scan() yields every message once, newest copy, in id order', async () => {
    const { spool } = await setup(fakeDeliverer())
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await spool.enqueue(message({ subject: `m${i}` }))).id)
    const held = await spool.get(ids[2] as string)
    await spool.update({ ...(held as NonNullable<typeof held>), hold: { kind: 'hold', by: 'user', reason: 'x', at: T0 } })
    const seen: [string, string][] = []
    for await (const entry of spool.scan()) seen.push([entry.envelope.id, entry.state])
    expect(seen).toEqual(ids.map((id, i) => [id, i === 2 ? 'hold' : 'queued']))
  })
})
