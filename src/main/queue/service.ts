// The queue as the rest of the program sees it: submit, the outbox, status and limits, user operations, change
// events, and the runner role. Only the process holding the runner lock delivers; operations work in any process
// (they change the spool with seq-checked updates) and never race a delivery of the same message in this one.
import type { OutboxMessage, QueueStatus } from '../../shared/contract'
import { AppError } from '../../shared/result'
import type { Clock } from '../app/clock'
import type { QueueSettings } from '../config/schema'
import type { Deliverer } from '../delivery/types'
import type { Logger } from '../log/logger'
import type { Notifier } from '../notices/types'
import { toOutboxMessage, type Envelope } from './envelope'
import type { DirSyncer } from '../fsutil/durable'
import { queueLimitsFromSettings, snapshotUsage, type QueueLimits } from './limits'
import { acquireRunnerLock, readLockOwner, type RunnerLock } from './lock'
import { DEFAULT_DELAY_WARNING_MS, type FinishedHook } from './notices'
import { applyOp, editRecipients, type QueueOp } from './ops'
import { retryPolicyFromSettings, type RetryPolicy } from './retry'
import { QueueRunner, type RunSummary } from './runner'
import { removeMessage, undoMessage, type RemovalDeps } from './removal'
import { RunScheduler, type RunKind } from './scheduler'
import { Spool, type EnqueueInput } from './spool'
import { queueStatus, StatusPublisher } from './status'

export { toOutboxMessage } from './envelope'
export type { RunSummary } from './runner'
export { MAX_IDLE_MS, RUN_ERROR_RETRY_MS } from './scheduler'
/** What submit() takes; notBefore (ms) is send later / undo send. */
export type SubmitInput = EnqueueInput

/** Finished (sent/failed) messages kept in memory for the outbox view. */
export const FINISHED_KEPT = 200
export { STATUS_MIN_INTERVAL_MS } from './status'

export interface QueueServiceOptions {
  spoolDir: string
  lockFile: string
  deliverer: Deliverer
  clock: Clock
  log: Logger
  /** Deliveries at once in total (config.queue.concurrency.global; default 8). */
  concurrency?: number
  /** Deliveries at once per destination domain (config.queue.concurrency.perDestination; default 4). */
  perDestination?: number
  retry?: Partial<RetryPolicy>
  /** config.queue.delayWarning in ms; 0 = never (default 4 h). */
  delayWarningMs?: number
  /** Back-pressure (config.queue.maxMessages/maxBytes/minFreeDisk); none: unlimited. */
  limits?: QueueLimits
  /** Failure, delay and deleted notices; without one none are sent (logged). */
  notifier?: Notifier | null
  syncer?: DirSyncer
  orphanGraceMs?: number
  /** Runs before a finished message is removed (the Sent-folder copy, src/main/sent); see FinishedHook. */
  onFinished?: FinishedHook
  /** Whether onFinished has anything to do for a message (else it is finished by removal, the fast path). */
  wantsFinished?: (envelope: Envelope) => boolean
}

/** The options that come from config.queue (durations and sizes already parsed to ms and bytes). */
export function queueOptionsFromSettings(q: QueueSettings): Pick<QueueServiceOptions, 'concurrency' | 'perDestination' | 'retry' | 'delayWarningMs' | 'limits'> {
  return {
    concurrency: q.concurrency.global,
    perDestination: q.concurrency.perDestination,
    retry: retryPolicyFromSettings(q),
    delayWarningMs: q.delayWarning,
    limits: queueLimitsFromSettings(q)
  }
}

export class QueueService {
  private readonly listeners = new Set<(message: OutboxMessage) => void>()
  private readonly removedListeners = new Set<(id: string) => void>()
  private readonly publisher: StatusPublisher
  private readonly finished = new Map<string, OutboxMessage>()
  private readonly runner: QueueRunner
  private readonly scheduler: RunScheduler
  private readonly removal: RemovalDeps
  private lock: RunnerLock | null = null
  private closed = false

  private constructor(readonly spool: Spool, private readonly options: QueueServiceOptions) {
    this.runner = new QueueRunner({
      spool,
      deliverer: options.deliverer,
      clock: options.clock,
      log: options.log,
      notifier: options.notifier ?? null,
      ...(options.retry !== undefined ? { retry: options.retry } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.perDestination !== undefined ? { perDestination: options.perDestination } : {}),
      ...(options.delayWarningMs !== undefined ? { delayWarningMs: options.delayWarningMs } : {}),
      ...(options.onFinished !== undefined ? { onFinished: options.onFinished } : {}),
      ...(options.wantsFinished !== undefined ? { wantsFinished: options.wantsFinished } : {}),
      onChange: (envelope, state) => {
        const message = toOutboxMessage(envelope, state)
        if (state === 'sent' || state === 'failed') this.remember(message)
        this.emit(message)
        this.statusChanged()
      }
    })
    this.removal = {
      spool, notifier: options.notifier ?? null, clock: options.clock, log: options.log,
      policy: this.runner.policy, delayWarningMs: options.delayWarningMs ?? DEFAULT_DELAY_WARNING_MS,
      claims: this.runner.claims, gone: (id) => this.gone(id)
    }
    this.scheduler = new RunScheduler({
      clock: options.clock,
      log: options.log,
      execute: (kind) => this.execute(kind),
      afterRun: (summary) => {
        if (summary?.became !== null && summary?.became !== undefined) this.statusChanged()
        void this.publisher.writeSnapshot(true)
      }
    })
    this.publisher = new StatusPublisher({ spool, clock: options.clock, log: options.log, status: () => this.status(), isRunner: () => this.isRunner })
    // The owner of the queue checks its exact counters; a process that only submits reads the runner's snapshot.
    const counters = spool.usage
    const snapshot = snapshotUsage(spool.layout)
    spool.setUsageSource(async () => (this.isRunner && counters !== null ? counters.snapshot() : snapshot()))
  }

  /** Opens (and recovers) the spool. Does not take the runner role: see becomeRunner(). */
  static async open(options: QueueServiceOptions): Promise<QueueService> {
    const spool = await Spool.open(options.spoolDir, {
      clock: options.clock,
      log: options.log,
      ...(options.limits !== undefined ? { limits: options.limits } : {}),
      ...(options.syncer !== undefined ? { syncer: options.syncer } : {}),
      ...(options.orphanGraceMs !== undefined ? { orphanGraceMs: options.orphanGraceMs } : {})
    })
    return new QueueService(spool, options)
  }

  /** Whether this process delivers the queue. */
  get isRunner(): boolean {
    return this.lock !== null
  }

  /**
   * Commits a message (resolves once it is durable), announces it, and starts delivery if this process is the
   * runner (at notBefore when that is in the future). QUEUE_FULL (temporary) past a limit; nothing queued is touched.
   */
  async submit(input: SubmitInput): Promise<{ id: string; notBefore: number | null }> {
    const envelope = await this.spool.enqueue(input)
    this.emit(toOutboxMessage(envelope, 'queued'))
    this.statusChanged()
    // Immediate attempt; a light run looks at new mail only, not at a (possibly huge) deferred/.
    if (this.lock !== null && !this.closed) {
      this.scheduler.request(false, true).catch((error: unknown) => this.options.log.error('queue', `queue run failed: ${(error as Error).message}`))
    }
    return { id: envelope.id, notBefore: envelope.notBefore }
  }

  /** The outbox: every spooled message (state = its directory) and the last finished ones, oldest first. */
  async list(): Promise<OutboxMessage[]> {
    const active: OutboxMessage[] = []
    // From the summary journal (journal.ts): envelopes are read only for what it does not know (reply texts cut to 200 chars).
    for await (const batch of this.spool.summaryBatches()) active.push(...batch)
    const ids = new Set(active.map((m) => m.id))
    const all = [...active, ...[...this.finished.values()].filter((m) => !ids.has(m.id))]
    return all.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  /** Fill level against the limits, whether new mail is refused, and whether delivery waits for the network. */
  status(): Promise<QueueStatus> {
    return queueStatus(this.spool, this.options.limits, this.runner.offline.offline)
  }

  hold(id: string): Promise<OutboxMessage> {
    return this.operate(id, 'hold')
  }

  /** Lifts a hold; waiting recipients become due now. A frozen message must be thawed instead. */
  release(id: string): Promise<OutboxMessage> {
    return this.operate(id, 'release')
  }

  /** Like hold, and the lifetime clock stops until thaw. */
  freeze(id: string): Promise<OutboxMessage> {
    return this.operate(id, 'freeze')
  }

  /** Lifts a freeze (the frozen time is added to frozenMs); waiting recipients become due now. */
  thaw(id: string): Promise<OutboxMessage> {
    return this.operate(id, 'thaw')
  }

  /** Clears retry and not-before times of every waiting recipient and starts a run. */
  retryNow(id: string): Promise<OutboxMessage> {
    return this.operate(id, 'retryNow')
  }

  /** Removes a message; with notifySender the sender (unless <>) gets a 'deleted' notice for the undelivered recipients. */
  async remove(id: string, { notifySender }: { notifySender: boolean }): Promise<void> {
    await removeMessage(this.removal, id, notifySender)
    this.removed(id)
  }

  /** Undo send: removes a message only while its not-before time is in the future and nothing was attempted. */
  async undo(id: string): Promise<void> {
    await undoMessage(this.removal, id)
    this.removed(id)
  }

  /** Replaces the recipients of a held or frozen message; recipients already sent stay. */
  async editRecipients(id: string, recipients: string[]): Promise<OutboxMessage> {
    if (this.runner.claims.ownerOf(id) === 'runner') throw new AppError('INVALID_STATE', `${id}: it is being delivered right now; hold it first`, { id })
    return this.change(id, (env) => editRecipients(env, recipients))
  }

  /** Called on every enqueue, recorded outcome and completion; returns the unsubscribe function. */
  onChange(listener: (message: OutboxMessage) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** A message left the queue without being delivered (deleted or undone). */
  onRemoved(listener: (id: string) => void): () => void {
    this.removedListeners.add(listener)
    return () => this.removedListeners.delete(listener)
  }

  /** The status after enqueue, completion and online changes (at most every STATUS_MIN_INTERVAL_MS). */
  onStatus(listener: (status: QueueStatus) => void): () => void {
    this.publisher.listeners.add(listener)
    return () => this.publisher.listeners.delete(listener)
  }

  /** What the system says about the network (Electron online/offline, resume): back online retries everything now. */
  setNetworkOnline(online: boolean): void {
    const change = this.runner.offline.set(online)
    if (change === null) return
    this.options.log.info('queue', `network ${change} (reported by the system)`)
    this.statusChanged()
    if (change === 'online' && this.lock !== null && !this.closed) {
      this.scheduler.request(true).catch((error: unknown) => this.options.log.error('queue', `queue run failed: ${(error as Error).message}`))
    }
  }

  /** Takes the runner lock; true if this process now delivers (or already did). */
  async becomeRunner(): Promise<boolean> {
    if (this.closed) return false
    if (this.lock === null) this.lock = await acquireRunnerLock(this.options.lockFile)
    return this.lock !== null
  }

  /** The pid of the process that delivers this queue (possibly this one), or null. */
  runnerPid(): Promise<number | null> {
    return readLockOwner(this.options.lockFile)
  }

  /** Starts timed runs (the runner only) and runs the queue once right away. */
  startScheduler(): void {
    if (this.lock === null) throw new AppError('QUEUE_BUSY', 'this process is not the queue runner; call becomeRunner() first')
    this.scheduler.timed = true
    this.kick()
  }

  /** Asks for a full queue run now (no-op unless this process is the runner): the control socket's nudge. */
  kick(): void {
    if (this.lock === null || this.closed) return
    this.scheduler.request(false).catch((error: unknown) => {
      this.options.log.error('queue', `queue run failed: ${(error as Error).message}`)
    })
  }

  /** Delivers every pending and deferred recipient now, regardless of retry times (sendmail -q). */
  flush(): Promise<RunSummary> {
    if (this.lock === null || this.closed) {
      return Promise.reject(new AppError('QUEUE_BUSY', 'this process is not the queue runner, so it cannot run the queue'))
    }
    return this.scheduler.request(true)
  }

  /** Resolves when no run is in progress or waiting. */
  whenIdle(): Promise<void> {
    return this.scheduler.whenIdle()
  }

  /** Stops the scheduler, waits for the current run, and gives up the runner role. The deliverer is the caller's. */
  async close(): Promise<void> {
    this.scheduler.stop()
    await this.whenIdle()
    await this.publisher.writeSnapshot(false)
    this.closed = true
    this.publisher.close()
    const lock = this.lock
    this.lock = null
    await lock?.release()
    this.listeners.clear()
    this.removedListeners.clear()
  }

  private async execute(kind: RunKind): Promise<RunSummary> {
    const lock = this.lock
    if (lock === null || !(await lock.verify())) {
      this.lock = null
      this.scheduler.stop()
      this.options.log.error('queue', 'the queue-runner lock is no longer ours; this process stops delivering')
      throw new AppError('QUEUE_BUSY', 'this process lost the queue-runner lock')
    }
    return this.runner.runOnce(kind)
  }

  private async operate(id: string, op: QueueOp): Promise<OutboxMessage> {
    const message = await this.change(id, (env) => applyOp(env, op, this.options.clock.now()))
    if (op === 'release' || op === 'thaw' || op === 'retryNow') this.kick()
    return message
  }

  /** A seq-checked change of one message (any process); the runner re-applies its outcomes on top if it was delivering. */
  private async change(id: string, fn: (env: Envelope) => Envelope): Promise<OutboxMessage> {
    let entry
    try {
      entry = await this.spool.modify(id, fn)
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') throw this.gone(id)
      throw error
    }
    const message = toOutboxMessage(entry.envelope, entry.state)
    this.emit(message)
    this.statusChanged()
    return message
  }

  private statusChanged(): void {
    this.publisher.changed()
  }

  private gone(id: string): AppError {
    const finished = this.finished.get(id)
    if (finished !== undefined) return new AppError('INVALID_STATE', `${id}: it has already left the queue (${finished.state})`, { id })
    return new AppError('NOT_FOUND', `${id}: no such message in the outbox`, { id })
  }

  private removed(id: string): void {
    this.finished.delete(id)
    for (const listener of this.removedListeners) {
      try {
        listener(id)
      } catch (error) {
        this.options.log.error('queue', `${id}: removed listener failed: ${(error as Error).message}`)
      }
    }
    this.statusChanged()
  }

  private remember(message: OutboxMessage): void {
    this.finished.delete(message.id)
    this.finished.set(message.id, message)
    while (this.finished.size > FINISHED_KEPT) {
      const oldest = this.finished.keys().next().value
      if (oldest === undefined) break
      this.finished.delete(oldest)
    }
  }

  private emit(message: OutboxMessage): void {
    for (const listener of this.listeners) {
      try {
        listener(message)
      } catch (error) {
        this.options.log.error('queue', `${message.id}: outbox listener failed: ${(error as Error).message}`)
      }
    }
  }
}
