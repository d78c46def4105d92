// The queue's status (fill level against the limits, refusing or not, offline) and its publication: events at most
// every STATUS_MIN_INTERVAL_MS (the last change always gets one), and spool/usage.json for processes that only submit.
import type { QueueStatus } from '../../shared/contract'
import type { Clock } from '../app/clock'
import type { Logger } from '../log/logger'
import { freeDiskBytes, limitBroken, queueFullError, writeUsageSnapshot, type QueueLimits } from './limits'
import type { Spool } from './spool'

/** status events: at most one per this many ms. */
export const STATUS_MIN_INTERVAL_MS = 250
/** spool/usage.json is rewritten at most this often (and once more when the runner stops). */
const USAGE_SNAPSHOT_MIN_INTERVAL_MS = 1_000

const UNLIMITED: QueueLimits = { maxMessages: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER, minFreeDisk: 0 }

export async function queueStatus(spool: Spool, limits: QueueLimits | undefined, offline: boolean): Promise<QueueStatus> {
  const [counts, usage, freeDisk] = await Promise.all([spool.counts(), spool.currentUsage(), freeDiskBytes(spool.layout.root)])
  const messages = counts.queued + counts.deferred + counts.hold
  const applied = limits ?? UNLIMITED
  const broken = limitBroken(applied, { messages, bytes: usage.bytes }, freeDisk, 0)
  return {
    messages, bytes: usage.bytes ?? 0, queued: counts.queued, deferred: counts.deferred, hold: counts.hold, corrupt: counts.corrupt,
    limits: applied, freeDisk, refusing: broken === null ? null : queueFullError(broken).message, offline
  }
}

export interface StatusPublisherOptions {
  spool: Spool
  clock: Clock
  log: Logger
  status: () => Promise<QueueStatus>
  /** Whether this process owns the queue's exact counters (the runner): only then is usage.json written. */
  isRunner: () => boolean
}

export class StatusPublisher {
  readonly listeners = new Set<(status: QueueStatus) => void>()
  private timer: { cancel(): void } | null = null
  private lastStatusAt = -Infinity
  private lastSnapshotAt = -Infinity
  private closed = false

  constructor(private readonly options: StatusPublisherOptions) {}

  /** Something changed: emit now, or once the minimum interval has passed (changes in between coalesce). */
  changed(): void {
    void this.writeSnapshot(true)
    if (this.listeners.size === 0 || this.timer !== null || this.closed) return
    const { clock } = this.options
    const fire = (): void => {
      this.timer = null
      this.lastStatusAt = clock.now()
      this.options.status().then((status) => {
        for (const listener of this.listeners) {
          try {
            listener(status)
          } catch (error) {
            this.options.log.error('queue', `status listener failed: ${(error as Error).message}`)
          }
        }
      }).catch((error: unknown) => this.options.log.error('queue', `status failed: ${(error as Error).message}`))
    }
    const wait = this.lastStatusAt + STATUS_MIN_INTERVAL_MS - clock.now()
    if (wait <= 0) fire()
    else this.timer = clock.setTimeout(fire, wait)
  }

  /** The runner publishes its exact usage for processes that only submit (the CLI). */
  async writeSnapshot(rateLimited: boolean): Promise<void> {
    const usage = this.options.spool.usage
    if (!this.options.isRunner() || usage === null) return
    const now = this.options.clock.now()
    if (rateLimited && now - this.lastSnapshotAt < USAGE_SNAPSHOT_MIN_INTERVAL_MS) return
    this.lastSnapshotAt = now
    await writeUsageSnapshot(this.options.spool.layout, usage.snapshot(), now).catch((error: unknown) => {
      this.options.log.warn('queue', `could not write spool/usage.json: ${(error as Error).message}`)
    })
  }

  close(): void {
    this.closed = true
    this.timer?.cancel()
    this.timer = null
    this.listeners.clear()
  }
}
