// One queue run: deliver every due message (a bounded number at a time), record each outcome durably, log it, finish messages.
// A recipient the server accepted is written down as sent before anything else happens to that message (no double sends).
import type { OutboxState } from '../../shared/contract'
import type { Clock } from '../app/clock'
import type { Deliverer, RecipientOutcome } from '../delivery/types'
import type { Logger } from '../log/logger'
import { allFinal, finishedState, stateDirFor, type Envelope } from './envelope'
import { applyOutcomes, dueRecipients, earlier, nextWakeAt, type OutcomeEvent } from './outcomes'
import { retryPolicy, type RetryPolicy } from './retry'
import { SpoolConflictError, type Spool } from './spool'

export const DEFAULT_CONCURRENCY = 8
const MAX_RECORD_TRIES = 3

export interface RunSummary {
  /** Messages handed to the deliverer. */
  messages: number
  /** Recipient attempts (= sent + deferred + failed). */
  attempted: number
  sent: number
  deferred: number
  /** Includes recipients that expired (gave up after the lifetime). */
  failed: number
  /** Earliest time something in the queue becomes due (ms), null when nothing waits for a time. */
  nextWakeAt: number | null
}

export interface QueueRunnerOptions {
  spool: Spool
  deliverer: Deliverer
  clock: Clock
  log: Logger
  retry?: Partial<RetryPolicy>
  /** Messages delivered at once (default 8). */
  concurrency?: number
  /** Every recorded change of a message: its new state, or sent/failed once it left the queue. */
  onChange?: (envelope: Envelope, state: OutboxState) => void
}

interface Unrecorded {
  /** The seq the outcomes were applied to; a newer copy on disk already carries them (just not durably). */
  baseSeq: number
  due: string[]
  outcomes: RecipientOutcome[]
  at: number
}

export class QueueRunner {
  private readonly policy: RetryPolicy
  private readonly concurrency: number
  /** Outcomes whose envelope write failed: recorded before that message is ever delivered again. */
  private readonly unrecorded = new Map<string, Unrecorded>()

  constructor(private readonly options: QueueRunnerOptions) {
    this.policy = retryPolicy(options.retry)
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY))
  }

  /** Delivers what is due now (force: also deferred recipients before their retry time; never held ones). */
  async runOnce({ force }: { force: boolean }): Promise<RunSummary> {
    const { spool, clock, log } = this.options
    const summary: RunSummary = { messages: 0, attempted: 0, sent: 0, deferred: 0, failed: 0, nextWakeAt: null }
    const now = clock.now()
    const work: string[] = []
    for (const { state, envelope } of await spool.entries()) {
      if (state === 'hold') continue
      if (allFinal(envelope) || dueRecipients(envelope, now, force).length > 0 || this.unrecorded.has(envelope.id)) work.push(envelope.id)
      else summary.nextWakeAt = earlier(summary.nextWakeAt, nextWakeAt(envelope))
    }
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < work.length) {
        const id = work[next++] as string
        try {
          summary.nextWakeAt = earlier(summary.nextWakeAt, await this.processMessage(id, force, summary))
        } catch (error) {
          log.error('queue', `${id}: queue run failed for this message: ${(error as Error).message}`)
          summary.nextWakeAt = earlier(summary.nextWakeAt, clock.now() + 60_000)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.concurrency, work.length) }, worker))
    return summary
  }

  /** Attempts one message; returns when it next needs the runner (null: never by itself). */
  private async processMessage(id: string, force: boolean, summary: RunSummary): Promise<number | null> {
    const { spool, deliverer, clock, log } = this.options
    const entry = await spool.locate(id)
    if (entry === null || entry.state === 'hold') return null
    let envelope = entry.envelope
    const pending = this.unrecorded.get(id)
    if (pending !== undefined) {
      const recorded = envelope.seq > pending.baseSeq
        ? await this.rewrite(envelope)
        : await this.record(envelope, pending.due, pending.outcomes, pending.at)
      if (recorded === null) return clock.now() + 60_000
      this.unrecorded.delete(id)
      if (recorded === 'gone') return null
      envelope = recorded
    }
    if (allFinal(envelope)) return this.finish(envelope)
    const due = dueRecipients(envelope, clock.now(), force)
    if (due.length === 0) return nextWakeAt(envelope)

    let data: Buffer
    try {
      data = await spool.readData(id)
    } catch (error) {
      await spool.quarantine(id, `its data file cannot be read: ${(error as Error).message}`)
      return null
    }
    summary.messages += 1
    summary.attempted += due.length
    let outcomes: RecipientOutcome[]
    try {
      outcomes = await deliverer.deliver({ queueId: id, sender: envelope.sender, recipients: due, data, queuedAt: envelope.createdAt })
    } catch (error) {
      log.error('queue', `${id}: the deliverer failed unexpectedly: ${(error as Error).message}`)
      const reply = { text: `internal delivery error: ${(error as Error).message}`, enhanced: '4.3.0', human: 'An internal error interrupted delivery; it will be retried.' }
      outcomes = due.map((recipient) => ({ recipient, status: 'deferred' as const, reply }))
    }
    const at = clock.now()
    const recorded = await this.record(envelope, due, outcomes, at)
    const events = applyOutcomes(envelope, due, outcomes, at, this.policy).events
    this.logEvents(envelope, events, at, summary)
    if (recorded === null) {
      this.unrecorded.set(id, { baseSeq: envelope.seq, due, outcomes, at })
      return at + 60_000
    }
    if (recorded === 'gone') return null
    if (allFinal(recorded)) return this.finish(recorded)
    this.emit(recorded, stateDirFor(recorded) ?? entry.state)
    return nextWakeAt(recorded)
  }

  /**
   * Writes the outcomes durably; on a concurrent change re-applies them to the newer copy.
   * 'gone': the message was removed meanwhile (nothing to record); null: it could not be written.
   */
  private async record(envelope: Envelope, due: string[], outcomes: RecipientOutcome[], at: number): Promise<Envelope | 'gone' | null> {
    const { spool, log } = this.options
    let base: Envelope = envelope
    for (let attempt = 0; attempt < MAX_RECORD_TRIES; attempt++) {
      try {
        return await spool.update(applyOutcomes(base, due, outcomes, at, this.policy).envelope)
      } catch (error) {
        if (!(error instanceof SpoolConflictError)) {
          log.error('queue', `${envelope.id}: could not record the delivery outcome (will record it before any new attempt): ${(error as Error).message}`)
          return null
        }
        const fresh = await spool.get(envelope.id)
        if (fresh === null) {
          log.warn('queue', `${envelope.id}: the message was removed during delivery; outcome not recorded`)
          return 'gone'
        }
        base = fresh
      }
    }
    log.error('queue', `${envelope.id}: the envelope kept changing during delivery; outcome not recorded yet`)
    return null
  }

  /** Writes an envelope again unchanged (seq+1), so a copy whose fsync failed becomes durable. */
  private async rewrite(envelope: Envelope): Promise<Envelope | null> {
    try {
      return await this.options.spool.update(envelope)
    } catch (error) {
      this.options.log.error('queue', `${envelope.id}: could not record the delivery outcome yet: ${(error as Error).message}`)
      return null
    }
  }

  private async finish(envelope: Envelope): Promise<null> {
    await this.options.spool.complete(envelope.id)
    this.emit(envelope, finishedState(envelope))
    return null
  }

  private logEvents(envelope: Envelope, events: OutcomeEvent[], at: number, summary: RunSummary): void {
    for (const event of events) {
      if (event.status === 'sent') summary.sent += 1
      else if (event.status === 'deferred') summary.deferred += 1
      else summary.failed += 1
      const { reply } = event
      this.options.log.mail('smtp', envelope.id, {
        to: event.recipient,
        relay: reply.host ?? 'none',
        delay: Math.max(0, (at - envelope.createdAt) / 1000),
        dsn: reply.enhanced,
        status: event.status,
        reply: event.status === 'expired' ? `${reply.human ?? 'gave up'}` : reply.text
      })
    }
  }

  private emit(envelope: Envelope, state: OutboxState): void {
    try {
      this.options.onChange?.(envelope, state)
    } catch (error) {
      this.options.log.error('queue', `${envelope.id}: change listener failed: ${(error as Error).message}`)
    }
  }
}
