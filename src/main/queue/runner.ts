// One queue run: find due messages (scan.ts), deliver them per destination domain within the global and
// per-destination limits, fairly (fair.ts), record each outcome durably, then finish, freeze or warn (notices.ts).
// A recipient the server accepted is written down as sent before anything else happens to that message (no double
// sends). A run in which every attempt failed to resolve or connect means "offline" (offline.ts): those attempts
// do not count.
import type { OutboxState } from '../../shared/contract'
import type { Clock } from '../app/clock'
import type { Deliverer, RecipientOutcome } from '../delivery/types'
import type { Logger } from '../log/logger'
import type { Notifier } from '../notices/types'
import { MessageClaims } from './claims'
import { allFinal, finishedState, stateDirFor, type Envelope, type EnvelopeRecipient, type SpoolDir } from './envelope'
import { groupByDestination, runFair } from './fair'
import { DEFAULT_DELAY_WARNING_MS, finishMessage, maybeWarnDelay, type FinishedHook, type NoticeDeps } from './notices'
import { OFFLINE_PROBE_MESSAGES, OfflineState } from './offline'
import { applyOutcomes, dueRecipients, earlier, nextWakeAt, type OutcomeEvent } from './outcomes'
import { retryPolicy, type RetryPolicy } from './retry'
import { MAX_DUE_PER_SCAN, scanDue } from './scan'
import { recordByRemoval, recordOutcomes, writeMerged } from './record'
import type { Spool } from './spool'

/** Default deliveries at once in total, and per destination (config.queue.concurrency overrides both). */
export const DEFAULT_CONCURRENCY = 8
export const DEFAULT_PER_DESTINATION = 4
/** Envelopes prepared (read) at once before dispatch. */
const PREPARE_PARALLEL = 8
/** Try again this soon after something went wrong with one message (write failed, notice failed). */
const MESSAGE_RETRY_MS = 60_000
/** A message a user operation is changing right now is looked at again this soon. */
const CLAIMED_RETRY_MS = 1_000

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
  /** The network is down (every attempt failed to resolve or connect); attempts do not count. */
  offline: boolean
  /** The online state changed in this run. */
  became: 'online' | 'offline' | null
}

export interface QueueRunnerOptions {
  spool: Spool
  deliverer: Deliverer
  clock: Clock
  log: Logger
  retry?: Partial<RetryPolicy>
  /** Deliveries at once in total (default 8). */
  concurrency?: number
  /** Deliveries at once to one destination domain (default 4). */
  perDestination?: number
  /** queue.delayWarning in ms (0 = never; default 4 h). */
  delayWarningMs?: number
  /** Sends failure/delay notices; without one, none are sent (logged). */
  notifier?: Notifier | null
  /** Shared with the service's operations, so an operation never races a delivery of the same message. */
  claims?: MessageClaims
  maxDuePerScan?: number
  /** Every recorded change of a message: its new state, or sent/failed once it left the queue. */
  onChange?: (envelope: Envelope, state: OutboxState) => void
  /** Runs before a finished message is removed (e.g. the Sent-folder copy); see FinishedHook in notices.ts. */
  onFinished?: FinishedHook
  /** Whether onFinished has anything to do for this message; when it says no, the removal fast path applies. Default: yes. */
  wantsFinished?: (envelope: Envelope) => boolean
}

/** Recipients whose new state could not be written yet (see mergeUnrecorded in outcomes.ts). */
type Unrecorded = EnvelopeRecipient[]

interface Task {
  id: string
  state: SpoolDir
  /** The newest envelope as recorded by this run. */
  envelope: Envelope
  /** The recipients due when the message was picked (at least one). */
  due: string[]
  groupsLeft: number
  chain: Promise<void>
  gone: boolean
  quarantined: boolean
  /** Every recipient was sent and the message was removed as the record of it (recordByRemoval). */
  finished: boolean
  /** Counted in summary.messages (once its data was read). */
  counted: boolean
  release: () => void
}

interface Job {
  destination: string
  recipients: string[]
  task: Task
}

interface RunState {
  attempts: number
  reached: boolean
  processed: Set<string>
  /** Unreachable outcomes held back until the run's verdict (offline: they do not count). */
  stash: Map<string, { task: Task; parts: { due: string[]; outcomes: RecipientOutcome[]; at: number }[] }>
}

export class QueueRunner {
  readonly policy: RetryPolicy
  readonly offline = new OfflineState()
  readonly claims: MessageClaims
  private readonly global: number
  private readonly perDestination: number
  private readonly notices: NoticeDeps
  private readonly unrecorded = new Map<string, Unrecorded>()
  /** Earliest time something in deferred/ needs the runner, as of the last full scan and our own records since. */
  private deferredWakeAt: number | null = null

  constructor(private readonly options: QueueRunnerOptions) {
    this.policy = retryPolicy(options.retry)
    this.global = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY))
    this.perDestination = Math.max(1, Math.floor(options.perDestination ?? DEFAULT_PER_DESTINATION))
    this.claims = options.claims ?? new MessageClaims()
    this.notices = {
      spool: options.spool, notifier: options.notifier ?? null, clock: options.clock, log: options.log,
      policy: this.policy, delayWarningMs: options.delayWarningMs ?? DEFAULT_DELAY_WARNING_MS, onFinished: options.onFinished ?? null
    }
  }

  /**
   * Delivers what is due now (force: also deferred recipients before their retry time; never held ones).
   * light: after a submission in this process, look at queued/ only, unless something in deferred/ is known to be
   * due (a full scan of a big deferred/ costs a stat per file).
   */
  async runOnce({ force, light = false }: { force: boolean; light?: boolean }): Promise<RunSummary> {
    const { spool, clock } = this.options
    const full = force || !light || this.deferredWakeAt === null || this.deferredWakeAt <= clock.now()
    const summary: RunSummary = { messages: 0, attempted: 0, sent: 0, deferred: 0, failed: 0, nextWakeAt: null, offline: false, became: null }
    const run: RunState = { attempts: 0, reached: false, processed: new Set(), stash: new Map() }
    const probing = this.offline.offline && !force
    let live: number | null = null
    for (;;) {
      const scan = await scanDue(spool, {
        now: clock.now(), force, limit: probing ? OFFLINE_PROBE_MESSAGES : (this.options.maxDuePerScan ?? MAX_DUE_PER_SCAN),
        skip: run.processed, always: new Set(this.unrecorded.keys()), deferred: full
      })
      summary.nextWakeAt = earlier(summary.nextWakeAt, scan.nextWakeAt)
      live ??= full ? scan.messages : null
      if (scan.due.length === 0) break
      for (const id of scan.due) run.processed.add(id)
      await this.deliverBatch(scan.due, force, summary, run)
      if (!scan.truncated || probing) break
    }
    summary.became = this.offline.afterRun(run.attempts, run.reached)
    summary.offline = this.offline.offline
    const probeAt = summary.offline ? clock.now() + this.offline.probeDelay : null
    for (const { task, parts } of run.stash.values()) {
      for (const part of parts) await this.recordTask(task, part.due, part.outcomes, part.at, probeAt, summary)
      summary.nextWakeAt = earlier(summary.nextWakeAt, await this.finalize(task))
    }
    if (probeAt !== null) summary.nextWakeAt = earlier(summary.nextWakeAt, probeAt)
    // What deferred/ needs next: known exactly after a full scan; after a light one, the old bound still holds.
    this.deferredWakeAt = full ? summary.nextWakeAt : earlier(this.deferredWakeAt, summary.nextWakeAt)
    summary.nextWakeAt = this.deferredWakeAt
    // spool/journal grows by a line per envelope write; shrink it once it holds mostly history (never throws).
    if (live !== null) await spool.journal.maybeCompact(live)
    return summary
  }

  private async deliverBatch(ids: string[], force: boolean, summary: RunSummary, run: RunState): Promise<void> {
    const tasks: Task[] = []
    let next = 0
    const prepareWorker = async (): Promise<void> => {
      while (next < ids.length) {
        const id = ids[next++] as string
        try {
          const task = await this.prepare(id, force, summary)
          if (task !== null) tasks.push(task)
        } catch (error) {
          this.options.log.error('queue', `${id}: queue run failed for this message: ${(error as Error).message}`)
          summary.nextWakeAt = earlier(summary.nextWakeAt, this.options.clock.now() + MESSAGE_RETRY_MS)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(PREPARE_PARALLEL, ids.length) }, prepareWorker))
    tasks.sort((a, b) => (a.id < b.id ? -1 : 1))
    const jobs: Job[] = tasks.flatMap((task) => {
      const groups = groupByDestination(task.due)
      task.groupsLeft = groups.length
      return groups.map((g) => ({ ...g, task }))
    })
    await runFair(jobs, { global: this.global, perDestination: this.perDestination }, (job) => this.deliverJob(job, summary, run), (job, error) => {
      this.options.log.error('queue', `${job.task.id}: delivery to ${job.destination} failed unexpectedly: ${(error as Error).message}`)
    })
  }

  /** Claims and reads one due message; null when there is nothing to deliver (finished ones are finished here). */
  private async prepare(id: string, force: boolean, summary: RunSummary): Promise<Task | null> {
    const { spool, clock } = this.options
    const release = this.claims.tryClaim(id, 'runner')
    if (release === null) {
      summary.nextWakeAt = earlier(summary.nextWakeAt, clock.now() + CLAIMED_RETRY_MS)
      return null
    }
    let handedOver = false
    try {
      const entry = await spool.locate(id)
      if (entry === null || entry.state === 'hold') return null
      let envelope = entry.envelope
      const pending = this.unrecorded.get(id)
      if (pending !== undefined) {
        const recorded = await writeMerged(this.options.spool, this.options.log, id, pending)
        if (recorded === null) {
          summary.nextWakeAt = earlier(summary.nextWakeAt, clock.now() + MESSAGE_RETRY_MS)
          return null
        }
        this.unrecorded.delete(id)
        if (recorded === 'gone') return null
        envelope = recorded
      }
      const task: Task = { id, state: entry.state, envelope, due: [], groupsLeft: 0, chain: Promise.resolve(), gone: false, quarantined: false, finished: false, counted: false, release }
      if (allFinal(envelope)) {
        handedOver = true
        summary.nextWakeAt = earlier(summary.nextWakeAt, await this.finalize(task))
        return null
      }
      task.due = dueRecipients(envelope, clock.now(), force)
      if (task.due.length === 0) {
        summary.nextWakeAt = earlier(summary.nextWakeAt, nextWakeAt(envelope))
        return null
      }
      handedOver = true
      return task
    } finally {
      if (!handedOver) release()
    }
  }

  private async deliverJob(job: Job, summary: RunSummary, run: RunState): Promise<void> {
    const { spool, deliverer, clock, log } = this.options
    const { task } = job
    try {
      if (task.quarantined || task.gone) return
      let data: Buffer
      try {
        data = await spool.readData(task.id)
      } catch (error) {
        task.quarantined = true
        await spool.quarantine(task.id, `its data file cannot be read: ${(error as Error).message}`)
        return
      }
      if (!task.counted) {
        task.counted = true
        summary.messages += 1
      }
      let outcomes: RecipientOutcome[]
      try {
        const originals = Object.fromEntries(task.envelope.recipients.filter((r) => job.recipients.includes(r.address)).map((r) => [r.address, r.original]))
        outcomes = await deliverer.deliver({
          queueId: task.id, sender: task.envelope.sender, recipients: job.recipients, data, queuedAt: task.envelope.createdAt,
          ...(task.envelope.dsn !== undefined ? { dsn: task.envelope.dsn } : {}), originals
        })
      } catch (error) {
        log.error('queue', `${task.id}: the deliverer failed unexpectedly: ${(error as Error).message}`)
        const reply = { text: `internal delivery error: ${(error as Error).message}`, enhanced: '4.3.0', human: 'An internal error interrupted delivery; it will be retried.' }
        outcomes = job.recipients.map((recipient) => ({ recipient, status: 'deferred' as const, reply }))
      }
      const at = clock.now()
      run.attempts += 1
      summary.attempted += job.recipients.length
      const unreachable = outcomes.length >= job.recipients.length && outcomes.every((o) => o.status === 'deferred' && o.unreachable === true)
      if (!unreachable) run.reached = true
      if (unreachable && !run.reached) {
        // Held back until the run's verdict: if every attempt was like this, the network is down and it does not count.
        const entry = run.stash.get(task.id) ?? { task, parts: [] }
        entry.parts.push({ due: job.recipients, outcomes, at })
        run.stash.set(task.id, entry)
        return
      }
      task.chain = task.chain.then(() => this.recordTask(task, job.recipients, outcomes, at, null, summary))
      await task.chain
    } finally {
      task.groupsLeft -= 1
      if (task.groupsLeft === 0 && !run.stash.has(task.id)) summary.nextWakeAt = earlier(summary.nextWakeAt, await this.finalize(task))
    }
  }

  /** Records one group's outcomes on top of what this run recorded before (or keeps them for later if that fails). */
  private async recordTask(task: Task, due: string[], outcomes: RecipientOutcome[], at: number, probeAt: number | null, summary: RunSummary): Promise<void> {
    if (task.gone || task.quarantined || task.finished) return
    const base = task.envelope
    const earlierFailure = this.unrecorded.get(task.id)
    const applied = applyOutcomes(base, due, outcomes, at, this.policy, probeAt)
    if (earlierFailure === undefined && this.finishesByRemoval(applied.envelope)) {
      const removal = await recordByRemoval(this.options.spool, this.options.log, base)
      if (removal !== 'rewrite') {
        this.logEvents(base, applied.events, at, summary)
        task.envelope = applied.envelope
        if (removal === 'done') task.finished = true
        else task.gone = true
        return
      }
    }
    const recorded = earlierFailure === undefined ? await recordOutcomes(this.options.spool, this.options.log, this.policy, base, due, outcomes, at, probeAt) : null
    this.logEvents(base, applied.events, at, summary)
    if (recorded === null) {
      const intended = applied.envelope.recipients.filter((r) => due.includes(r.address))
      this.unrecorded.set(task.id, [...(earlierFailure ?? []), ...intended])
    } else if (recorded === 'gone') {
      task.gone = true
    } else {
      task.envelope = recorded
    }
  }

  /**
   * Whether an attempt's record can be the message's removal alone (recordByRemoval): every recipient sent (no
   * failure notice, no freeze), not held, and no onFinished hook: the hook must run between a durable record of the
   * sent state and the removal (if it throws, the message stays and must not be delivered again; and running it
   * before an unrecorded removal would widen the duplicate window by the hook's own fsyncs).
   */
  private finishesByRemoval(env: Envelope): boolean {
    const hookWanted = (this.notices.onFinished ?? null) !== null && (this.options.wantsFinished?.(env) ?? true)
    return !hookWanted && env.hold === null && env.recipients.every((r) => r.state === 'sent')
  }

  /** After the last group: finish (notice, complete or freeze), or warn about the delay; returns the next wake time. */
  private async finalize(task: Task): Promise<number | null> {
    const { clock, log } = this.options
    try {
      if (task.finished) {
        this.emit(task.envelope, 'sent')
        return null
      }
      if (task.gone || task.quarantined) return null
      if (this.unrecorded.has(task.id)) return clock.now() + MESSAGE_RETRY_MS
      let env = task.envelope
      if (allFinal(env)) {
        const done = await finishMessage(this.notices, env)
        if (done.outcome === 'frozen') this.emit(done.envelope, 'hold')
        else this.emit(env, finishedState(env))
        return null
      }
      env = await maybeWarnDelay(this.notices, env)
      this.emit(env, stateDirFor(env) ?? task.state)
      return nextWakeAt(env)
    } catch (error) {
      log.error('queue', `${task.id}: could not finish this message yet (will try again): ${(error as Error).message}`)
      return clock.now() + MESSAGE_RETRY_MS
    } finally {
      task.release()
    }
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
