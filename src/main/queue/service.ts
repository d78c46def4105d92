// The queue as the rest of the program sees it: submit, list the outbox, change events, the runner role and its scheduler.
// Only the process holding the runner lock delivers; runs never overlap (a kick during a run queues exactly one more).
import type { OutboxMessage } from '../../shared/contract'
import { AppError } from '../../shared/result'
import type { Clock } from '../app/clock'
import type { Deliverer } from '../delivery/types'
import type { Logger } from '../log/logger'
import { toOutboxMessage } from './envelope'
import type { DirSyncer } from './fsutil'
import { acquireRunnerLock, readLockOwner, type RunnerLock } from './lock'
import type { RetryPolicy } from './retry'
import { QueueRunner, type RunSummary } from './runner'
import { Spool, type EnqueueInput } from './spool'

export { toOutboxMessage } from './envelope'
export type { RunSummary } from './runner'
export type SubmitInput = EnqueueInput

/** Finished (sent/failed) messages kept in memory for the outbox view. */
export const FINISHED_KEPT = 200
/** Longest sleep between runs: also picks up mail committed by other processes whose nudge got lost. */
export const MAX_IDLE_MS = 5 * 60_000
/** After a run that failed as a whole (e.g. the spool could not be read). */
export const RUN_ERROR_RETRY_MS = 60_000
/** Floor for a wake-up that is already due but produced no work, so a stuck message cannot spin the loop. */
const MIN_IDLE_MS = 1_000

export interface QueueServiceOptions {
  spoolDir: string
  lockFile: string
  deliverer: Deliverer
  clock: Clock
  log: Logger
  /** Messages delivered at once (default 8). */
  concurrency?: number
  retry?: Partial<RetryPolicy>
  syncer?: DirSyncer
  orphanGraceMs?: number
}

interface QueuedRun {
  force: boolean
  promise: Promise<RunSummary>
  resolve: (summary: RunSummary) => void
  reject: (error: unknown) => void
}

export class QueueService {
  private readonly listeners = new Set<(message: OutboxMessage) => void>()
  private readonly finished = new Map<string, OutboxMessage>()
  private readonly runner: QueueRunner
  private lock: RunnerLock | null = null
  private schedulerOn = false
  private closed = false
  private timer: { cancel(): void } | null = null
  private running: Promise<RunSummary> | null = null
  private queued: QueuedRun | null = null

  private constructor(readonly spool: Spool, private readonly options: QueueServiceOptions) {
    this.runner = new QueueRunner({
      spool,
      deliverer: options.deliverer,
      clock: options.clock,
      log: options.log,
      ...(options.retry !== undefined ? { retry: options.retry } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      onChange: (envelope, state) => {
        const message = toOutboxMessage(envelope, state)
        if (state === 'sent' || state === 'failed') this.remember(message)
        this.emit(message)
      }
    })
  }

  /** Opens (and recovers) the spool. Does not take the runner role: see becomeRunner(). */
  static async open(options: QueueServiceOptions): Promise<QueueService> {
    const spool = await Spool.open(options.spoolDir, {
      clock: options.clock,
      log: options.log,
      ...(options.syncer !== undefined ? { syncer: options.syncer } : {}),
      ...(options.orphanGraceMs !== undefined ? { orphanGraceMs: options.orphanGraceMs } : {})
    })
    return new QueueService(spool, options)
  }

  /** Whether this process delivers the queue. */
  get isRunner(): boolean {
    return this.lock !== null
  }

  /** Commits a message (resolves once it is durable), announces it, and starts delivery if this process is the runner. */
  async submit(input: SubmitInput): Promise<{ id: string }> {
    const envelope = await this.spool.enqueue(input)
    this.emit(toOutboxMessage(envelope, 'queued'))
    this.kick()
    return { id: envelope.id }
  }

  /** The outbox: every spooled message (state = its directory) and the last finished ones, oldest first. */
  async list(): Promise<OutboxMessage[]> {
    const active = (await this.spool.entries()).map((e) => toOutboxMessage(e.envelope, e.state))
    const ids = new Set(active.map((m) => m.id))
    const all = [...active, ...[...this.finished.values()].filter((m) => !ids.has(m.id))]
    return all.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  /** Called on every enqueue, recorded outcome and completion; returns the unsubscribe function. */
  onChange(listener: (message: OutboxMessage) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
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
    this.schedulerOn = true
    this.kick()
  }

  /** Asks for a queue run now (no-op unless this process is the runner). */
  kick(): void {
    if (this.lock === null || this.closed) return
    this.requestRun(false).catch((error: unknown) => {
      this.options.log.error('queue', `queue run failed: ${(error as Error).message}`)
    })
  }

  /** Delivers every pending and deferred recipient now, regardless of retry times (sendmail -q). */
  flush(): Promise<RunSummary> {
    if (this.lock === null || this.closed) {
      return Promise.reject(new AppError('QUEUE_BUSY', 'this process is not the queue runner, so it cannot run the queue'))
    }
    return this.requestRun(true)
  }

  /** Resolves when no run is in progress or waiting. */
  async whenIdle(): Promise<void> {
    while (this.running !== null || this.queued !== null) {
      await (this.queued?.promise ?? this.running)?.catch(() => undefined)
    }
  }

  /** Stops the scheduler, waits for the current run, and gives up the runner role. The deliverer is the caller's. */
  async close(): Promise<void> {
    this.schedulerOn = false
    this.cancelTimer()
    await this.whenIdle()
    this.closed = true
    const lock = this.lock
    this.lock = null
    await lock?.release()
    this.listeners.clear()
  }

  private requestRun(force: boolean): Promise<RunSummary> {
    if (this.running === null) return this.startRun(force)
    if (this.queued === null) {
      let resolve!: (summary: RunSummary) => void
      let reject!: (error: unknown) => void
      const promise = new Promise<RunSummary>((res, rej) => {
        resolve = res
        reject = rej
      })
      this.queued = { force, promise, resolve, reject }
    } else if (force) {
      this.queued.force = true
    }
    return this.queued.promise
  }

  private startRun(force: boolean): Promise<RunSummary> {
    this.cancelTimer()
    const run = this.execute(force)
    this.running = run
    const after = (summary: RunSummary | null): void => {
      this.running = null
      const queued = this.queued
      this.queued = null
      if (queued !== null) {
        this.startRun(queued.force).then(queued.resolve, queued.reject)
        return
      }
      this.arm(summary)
    }
    run.then(after, () => after(null))
    return run
  }

  private async execute(force: boolean): Promise<RunSummary> {
    const lock = this.lock
    if (lock === null || !(await lock.verify())) {
      this.lock = null
      this.schedulerOn = false
      this.options.log.error('queue', 'the queue-runner lock is no longer ours; this process stops delivering')
      throw new AppError('QUEUE_BUSY', 'this process lost the queue-runner lock')
    }
    return this.runner.runOnce({ force })
  }

  /** Sleeps until the earliest due time (at most MAX_IDLE_MS), or retries soon after a failed run. */
  private arm(summary: RunSummary | null): void {
    if (!this.schedulerOn || this.closed || this.lock === null) return
    let delay: number
    if (summary === null) delay = RUN_ERROR_RETRY_MS
    else if (summary.nextWakeAt === null) delay = MAX_IDLE_MS
    else {
      delay = Math.min(Math.max(0, summary.nextWakeAt - this.options.clock.now()), MAX_IDLE_MS)
      if (delay === 0 && summary.messages === 0) delay = MIN_IDLE_MS
    }
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null
      this.kick()
    }, delay)
  }

  private cancelTimer(): void {
    this.timer?.cancel()
    this.timer = null
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
