// When the runner runs: one run at a time, kicks during a run coalesce into exactly one more run, a timer until the
// earliest due time (at most MAX_IDLE_MS), a probe interval while offline, and a forced run when the network returns.
import type { Clock } from '../app/clock'
import type { Logger } from '../log/logger'
import type { RunSummary } from './runner'

/** Longest sleep between runs: also picks up mail committed by other processes whose nudge got lost. */
export const MAX_IDLE_MS = 5 * 60_000
/** After a run that failed as a whole (e.g. the spool could not be read). */
export const RUN_ERROR_RETRY_MS = 60_000
/** Floor for a wake-up that is already due but produced no work, so a stuck message cannot spin the loop. */
const MIN_IDLE_MS = 1_000

/** force: ignore retry times (flush, network back); full: scan deferred/ too; light: only new mail (after a submit). */
export interface RunKind {
  force: boolean
  light: boolean
}

interface QueuedRun extends RunKind {
  promise: Promise<RunSummary>
  resolve: (summary: RunSummary) => void
  reject: (error: unknown) => void
}

export interface RunSchedulerOptions {
  clock: Clock
  log: Logger
  /** One queue run (checks the lock first). */
  execute: (kind: RunKind) => Promise<RunSummary>
  /** After every run (summary null: the run failed as a whole). */
  afterRun?: (summary: RunSummary | null) => void
}

export class RunScheduler {
  /** Timed runs on (the runner only). */
  timed = false
  private timer: { cancel(): void } | null = null
  private running: Promise<RunSummary> | null = null
  private queued: QueuedRun | null = null

  constructor(private readonly options: RunSchedulerOptions) {}

  /** A run now, or exactly one more after the current one (force wins, and a full run wins over a light one). */
  request(force: boolean, light = false): Promise<RunSummary> {
    if (this.running === null) return this.start({ force, light })
    if (this.queued === null) {
      let resolve!: (summary: RunSummary) => void
      let reject!: (error: unknown) => void
      const promise = new Promise<RunSummary>((res, rej) => {
        resolve = res
        reject = rej
      })
      this.queued = { force, light, promise, resolve, reject }
    } else {
      this.queued.force ||= force
      this.queued.light &&= light
    }
    return this.queued.promise
  }

  /** Resolves when no run is in progress or waiting. */
  async whenIdle(): Promise<void> {
    while (this.running !== null || this.queued !== null) {
      await (this.queued?.promise ?? this.running)?.catch(() => undefined)
    }
  }

  stop(): void {
    this.timed = false
    this.cancelTimer()
  }

  private start(kind: RunKind): Promise<RunSummary> {
    this.cancelTimer()
    const run = this.options.execute(kind)
    this.running = run
    const after = (summary: RunSummary | null): void => {
      this.running = null
      try {
        this.options.afterRun?.(summary)
      } catch (error) {
        this.options.log.error('queue', `after-run hook failed: ${(error as Error).message}`)
      }
      const queued = this.queued
      this.queued = null
      if (queued !== null) {
        this.start({ force: queued.force, light: queued.light }).then(queued.resolve, queued.reject)
        return
      }
      if (summary?.became === 'online') {
        // The network is back: retry everything that waited for it, at once.
        this.request(true).catch((error: unknown) => this.options.log.error('queue', `queue run failed: ${(error as Error).message}`))
        return
      }
      this.arm(summary)
    }
    run.then(after, () => after(null))
    return run
  }

  /** Sleeps until the earliest due time (at most MAX_IDLE_MS), or retries soon after a failed run. */
  private arm(summary: RunSummary | null): void {
    if (!this.timed) return
    let delay: number
    if (summary === null) delay = RUN_ERROR_RETRY_MS
    else if (summary.nextWakeAt === null) delay = MAX_IDLE_MS
    else {
      delay = Math.min(Math.max(0, summary.nextWakeAt - this.options.clock.now()), MAX_IDLE_MS)
      if (delay === 0 && summary.messages === 0) delay = MIN_IDLE_MS
    }
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null
      this.request(false).catch((error: unknown) => this.options.log.error('queue', `queue run failed: ${(error as Error).message}`))
    }, delay)
  }

  private cancelTimer(): void {
    this.timer?.cancel()
    this.timer = null
  }
}
