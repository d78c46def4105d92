// Test helpers for the queue: a temp spool dir, a controllable clock, a scripted Deliverer, a message builder.
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Clock } from '../../../src/main/app/clock'
import type { Deliverer, DeliveryRequest, OutcomeStatus, RecipientOutcome } from '../../../src/main/delivery/types'
import { memoryLogger } from '../../../src/main/log/logger'
import type { NoticeRequest, NoticeResult, Notifier } from '../../../src/main/notices/types'
import type { EnqueueInput } from '../../../src/main/queue/spool'

export const T0 = Date.UTC(2025, 0, 6, 9, 0, 0)

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-queue-test-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

export async function ls(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort()
}

export interface FakeClock extends Clock {
  advance(ms: number): void
  set(ms: number): void
  pending(): number[]
}

/** Time stands still until advance(); timers fire in order when their time is reached. */
export function fakeClock(start = T0): FakeClock {
  let now = start
  let timers: { at: number; fn: () => void; cancelled: boolean }[] = []
  const fire = (): void => {
    for (;;) {
      const due = timers.filter((t) => !t.cancelled && t.at <= now).sort((a, b) => a.at - b.at)[0]
      if (due === undefined) break
      due.cancelled = true
      due.fn()
    }
    timers = timers.filter((t) => !t.cancelled)
  }
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const timer = { at: now + ms, fn, cancelled: false }
      timers.push(timer)
      return { cancel: () => { timer.cancelled = true } }
    },
    advance(ms) {
      now += ms
      fire()
    },
    set(ms) {
      now = ms
      fire()
    },
    pending: () => timers.filter((t) => !t.cancelled).map((t) => t.at)
  }
}

export const replies: Record<OutcomeStatus, RecipientOutcome['reply']> = {
  sent: { code: 250, enhanced: '2.0.0', text: '250 2.0.0 Ok: queued as 4XyZ', host: 'mx.example.net' },
  deferred: { code: 450, enhanced: '4.2.0', text: '450 4.2.0 Mailbox busy, try later', host: 'mx.example.net', human: 'The mailbox is busy.' },
  failed: { code: 550, enhanced: '5.1.1', text: '550 5.1.1 No such user', host: 'mx.example.net', human: 'The address does not exist.' }
}

/** A Deliverer whose outcome per recipient is decided by `decide` (default: sent); it records every request. */
export function fakeDeliverer(decide: (recipient: string, request: DeliveryRequest) => OutcomeStatus = () => 'sent'): Deliverer & {
  requests: DeliveryRequest[]
  decide: typeof decide
} {
  const fake = {
    requests: [] as DeliveryRequest[],
    decide,
    async deliver(request: DeliveryRequest): Promise<RecipientOutcome[]> {
      fake.requests.push(request)
      return request.recipients.map((recipient) => {
        const status = fake.decide(recipient, request)
        return { recipient, status, reply: replies[status] }
      })
    },
    async close() {}
  }
  return fake
}

export function message(overrides: Partial<EnqueueInput> = {}): EnqueueInput {
  return {
    data: Buffer.from('From: alice@example.org\r\nTo: bob@example.net\r\nSubject: Hello\r\nMessage-ID: <1@example.org>\r\n\r\nHi Bob\r\n'),
    sender: 'alice@example.org',
    recipients: [{ address: 'bob@example.net' }],
    origin: 'ui',
    messageId: '<1@example.org>',
    subject: 'Hello',
    ...overrides
  }
}

export { memoryLogger }

/** A Notifier that records every request (and whether the message was still in the spool at that moment). */
export function fakeNotifier(check?: (request: NoticeRequest) => Promise<void> | void): Notifier & { sent: NoticeRequest[]; fail: boolean } {
  const fake = {
    sent: [] as NoticeRequest[],
    fail: false,
    async send(request: NoticeRequest): Promise<NoticeResult> {
      if (fake.fail) throw new Error('ENOSPC: no space left on device')
      await check?.(request)
      fake.sent.push(request)
      return { status: 'queued', id: 'NOTICE' }
    }
  }
  return fake
}

/** The reply of a DNS or connect failure, as the direct deliverer marks it (outcome.unreachable). */
export const unreachableReply: RecipientOutcome['reply'] = { enhanced: '4.4.1', text: 'connect ECONNREFUSED 192.0.2.1:25', human: 'The server could not be reached.' }

/** A Deliverer that answers per request: 'unreachable' or a status for every recipient. */
export function switchableDeliverer(mode: { now: OutcomeStatus | 'unreachable' }): Deliverer & { requests: DeliveryRequest[] } {
  const fake = {
    requests: [] as DeliveryRequest[],
    async deliver(request: DeliveryRequest): Promise<RecipientOutcome[]> {
      fake.requests.push(request)
      return request.recipients.map((recipient) => mode.now === 'unreachable'
        ? { recipient, status: 'deferred' as const, reply: unreachableReply, unreachable: true }
        : { recipient, status: mode.now as OutcomeStatus, reply: replies[mode.now as OutcomeStatus] })
    },
    async close() {}
  }
  return fake
}
