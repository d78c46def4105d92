// Sent-folder copies as their own retried job: the queue hands over a finished message (onFinished), this records a
// durable job and appends the message to the account's Sent mailbox by IMAP, retrying with backoff for 7 days.
// It must never hand anything back to the delivery queue: a failing APPEND can never send mail again.
import { open } from 'node:fs/promises'
import type { Clock } from '../app/clock'
import type { AccountConfig, Config } from '../config/schema'
import type { Logger } from '../log/logger'
import type { Envelope } from '../queue/envelope'
import { isErrno } from '../fsutil/durable'
import { AppError } from '../../shared/result'
import { blindRecipients, withBcc } from './bcc'
import { createImapAppender } from './imap-appender'
import { SENT_JOB_VERSION, type SentJob } from './job'
import { messageDate, sentAccountFor } from './match'
import { expired, retryDelay, SENT_LIFETIME_MS } from './schedule'
import { SentJobStore } from './store'
import type { SentAppender, SentSession } from './types'

const COMPONENT = 'sent'
/** The runner looks at its jobs at least this often (a lost timer, a clock jump). */
export const SENT_MAX_IDLE_MS = 15 * 60_000

export interface SentCopiesOptions {
  spoolDir: string
  config: Pick<Config, 'accounts' | 'identities'>
  log: Logger
  clock: Clock
  /** Default: IMAP through imapflow. */
  appender?: SentAppender
  /** Default 7 days. */
  lifetimeMs?: number
}

export interface SentRunReport {
  appended: number
  /** A copy with the same Message-ID was already in the Sent mailbox (an earlier APPEND succeeded unseen). */
  present: number
  failed: number
  gaveUp: number
  /** Earliest nextAttemptAt of the jobs left, null when none is left. */
  nextAttemptAt: number | null
}

export interface SentCopies {
  /** The queue's hook (QueueServiceOptions.onFinished): records a job when the message deserves a copy. */
  onFinished(envelope: Envelope, dataPath: string): Promise<void>
  /** Recovers the job directory and starts the timer (queue-runner process only). */
  start(): Promise<void>
  /** Tries every due job now (force: also those waiting for their retry time). */
  runOnce(options?: { force?: boolean }): Promise<SentRunReport>
  close(): Promise<void>
}

export function createSentCopies(options: SentCopiesOptions): SentCopies {
  return new SentCopyRunner(options)
}

class SentCopyRunner implements SentCopies {
  readonly store: SentJobStore
  private readonly appender: SentAppender
  private readonly lifetimeMs: number
  private started = false
  private closed = false
  private running: Promise<SentRunReport> | null = null
  private again = false
  private timer: { cancel(): void } | null = null
  private timerAt = 0

  constructor(private readonly options: SentCopiesOptions) {
    this.store = new SentJobStore(options.spoolDir)
    this.appender = options.appender ?? createImapAppender()
    this.lifetimeMs = options.lifetimeMs ?? SENT_LIFETIME_MS
  }

  async onFinished(envelope: Envelope, dataPath: string): Promise<void> {
    const accountId = sentAccountFor(envelope, this.options.config)
    if (accountId === null) return
    const now = this.options.clock.now()
    let bcc: string[]
    try {
      bcc = blindRecipients(envelope, await readHead(dataPath))
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error
      this.options.log.error(COMPONENT, `${envelope.id}: no Sent copy: the message's data file is gone (${(error as Error).message})`)
      return
    }
    const job: SentJob = {
      version: SENT_JOB_VERSION, id: envelope.id, accountId, messageId: envelope.messageId, sender: envelope.sender, bcc,
      queuedAt: envelope.createdAt, createdAt: now, attempts: 0, failures: 0, appendTried: false, nextAttemptAt: now, lastError: null
    }
    let added: 'added' | 'exists'
    try {
      added = await this.store.add(job, dataPath)
    } catch (error) {
      // Without its data file there is nothing to copy; refusing would keep the sent message in the queue forever.
      if (!isErrno(error, 'ENOENT')) throw error
      this.options.log.error(COMPONENT, `${envelope.id}: no Sent copy: the message's data file is gone (${(error as Error).message})`)
      return
    }
    if (added === 'added') this.options.log.info(COMPONENT, `${envelope.id}: copy for the Sent mailbox of account ${accountId} recorded`)
    if (this.started && !this.closed) this.schedule(0)
  }

  async start(): Promise<void> {
    if (this.started || this.closed) return
    this.started = true
    await this.store.recover(this.options.clock.now())
    this.schedule(0)
  }

  runOnce({ force = false }: { force?: boolean } = {}): Promise<SentRunReport> {
    if (this.running !== null) {
      // One run at a time: a request during a run gets the run after it.
      return this.running.then(() => this.runOnce({ force }), () => this.runOnce({ force }))
    }
    const run = this.run(force).finally(() => {
      this.running = null
      if (this.again) {
        // A job arrived during the run.
        this.again = false
        this.schedule(0)
      }
    })
    this.running = run
    return run
  }

  async close(): Promise<void> {
    this.closed = true
    this.timer?.cancel()
    this.timer = null
    await this.running?.catch(() => undefined)
  }

  /** Wakes the runner after `delayMs`, unless it is already due to wake earlier. */
  private schedule(delayMs: number): void {
    if (this.closed || !this.started) return
    if (this.running !== null) {
      this.again = true
      return
    }
    const at = this.options.clock.now() + Math.max(0, delayMs)
    if (this.timer !== null && this.timerAt <= at) return
    this.timer?.cancel()
    this.timerAt = at
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null
      this.runOnce().then((report) => this.afterRun(report), (error: unknown) => {
        this.options.log.error(COMPONENT, `Sent-copy run failed (next try in 15 minutes): ${(error as Error).message}`)
        this.afterRun(null)
      })
    }, Math.max(0, delayMs))
  }

  private afterRun(report: SentRunReport | null): void {
    const next = report?.nextAttemptAt ?? null
    this.schedule(next === null ? SENT_MAX_IDLE_MS : Math.min(SENT_MAX_IDLE_MS, next - this.options.clock.now()))
  }

  private async run(force: boolean): Promise<SentRunReport> {
    const { clock, log } = this.options
    const report: SentRunReport = { appended: 0, present: 0, failed: 0, gaveUp: 0, nextAttemptAt: null }
    const due = new Map<string, SentJob[]>()
    for (const id of await this.store.ids()) {
      const read = await this.store.read(id)
      if (!read.ok) {
        const where = await this.store.setAside(id)
        log.error(COMPONENT, `${id}: unreadable Sent-copy job set aside (${read.error}); the message is kept at ${where}`)
        continue
      }
      const job = read.job
      if (!force && job.nextAttemptAt > clock.now()) {
        report.nextAttemptAt = earliest(report.nextAttemptAt, job.nextAttemptAt)
        continue
      }
      due.set(job.accountId, [...(due.get(job.accountId) ?? []), job])
    }
    for (const [accountId, jobs] of due) {
      if (this.closed) break
      await this.runAccount(accountId, jobs, report)
    }
    return report
  }

  /** One session per account and run; a failure to log in or a lost connection ends that account's turn. */
  private async runAccount(accountId: string, jobs: SentJob[], report: SentRunReport): Promise<void> {
    const account = this.options.config.accounts.find((a) => a.id === accountId)
    if (account === undefined) {
      const error = new AppError('ACCOUNT_NOT_FOUND', `No account "${accountId}" in the configuration; the copy waits until it is added`)
      for (const job of jobs) await this.failed(job, error, report)
      return
    }
    let session: SentSession
    try {
      session = await this.appender.open(account)
    } catch (error) {
      for (const job of jobs) await this.failed(job, error, report)
      return
    }
    try {
      for (let i = 0; i < jobs.length; i++) {
        const error = await this.appendOne(account, session, jobs[i] as SentJob, report)
        if (error !== null) {
          // The session is probably gone: the rest wait for the next run (not counted as attempts).
          for (const rest of jobs.slice(i + 1)) await this.failed(rest, error, report)
          break
        }
      }
    } finally {
      await session.close().catch(() => undefined)
    }
  }

  /** One APPEND; null when the job is done (or set aside), else the error (already recorded in the job). */
  private async appendOne(account: AccountConfig, session: SentSession, job: SentJob, report: SentRunReport): Promise<AppError | null> {
    const { clock, log } = this.options
    let raw: Buffer
    try {
      raw = await this.store.readData(job.id)
    } catch (error) {
      const where = await this.store.setAside(job.id)
      log.error(COMPONENT, `${job.id}: the message of this Sent copy cannot be read (${(error as Error).message}); job set aside at ${where}`)
      return null
    }
    const checkExisting = job.appendTried
    // Durable before the APPEND: if we crash or lose the connection after it, the next attempt looks first.
    const started: SentJob = { ...job, attempts: job.attempts + 1, appendTried: true, nextAttemptAt: clock.now() + retryDelay(job.failures + 1, 'IMAP_ERROR') }
    await this.store.update(started)
    try {
      const result = await session.append({ raw: withBcc(raw, job.bcc), messageId: job.messageId, date: messageDate(raw) ?? new Date(job.queuedAt), checkExisting })
      await this.store.remove(job.id)
      if (result.outcome === 'present') report.present += 1
      else report.appended += 1
      const said = result.outcome === 'present' ? 'was already in' : 'appended to'
      log.info(COMPONENT, `${job.id}: copy ${said} "${result.mailbox}" of account ${account.id} (attempt ${started.attempts})`)
      return null
    } catch (error) {
      return this.failed(started, error, report)
    }
  }

  /**
   * Records a failure (job.attempts already counts an APPEND that was started): the error and the next attempt time,
   * or gives up after the lifetime (the message is kept in failed/). Returns the error as an AppError.
   */
  private async failed(job: SentJob, error: unknown, report: SentRunReport): Promise<AppError> {
    const { clock, log } = this.options
    const now = clock.now()
    const coded = error instanceof AppError ? error : new AppError('IMAP_ERROR', error instanceof Error ? error.message : String(error))
    const attempts = job.attempts
    const failures = job.failures + 1
    const updated: SentJob = {
      ...job, failures, nextAttemptAt: now + retryDelay(failures, coded.code), lastError: { code: coded.code, message: coded.message, at: now }
    }
    report.failed += 1
    if (expired(job.createdAt, now, this.lifetimeMs)) {
      await this.store.update(updated)
      const where = await this.store.setAside(job.id)
      report.gaveUp += 1
      log.error(COMPONENT, `${job.id}: gave up copying to the Sent mailbox of account ${job.accountId} after ${failures} failed tries; last error: ${coded.message}; the message is kept at ${where}`)
      return coded
    }
    await this.store.update(updated)
    report.nextAttemptAt = earliest(report.nextAttemptAt, updated.nextAttemptAt)
    const level = coded.code === 'IMAP_AUTH' || coded.code === 'ACCOUNT_NOT_FOUND' ? 'error' : 'warn'
    log.log(level, COMPONENT, `${job.id}: copy to the Sent mailbox of account ${job.accountId} not done (${attempts} APPEND attempts, ${failures} failures): ${coded.message}; next try at ${new Date(updated.nextAttemptAt).toISOString()}`)
    return coded
  }
}

function earliest(a: number | null, b: number): number {
  return a === null ? b : Math.min(a, b)
}

/** The first 64 KiB of a message: its header section, for all but freak messages. */
async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.allocUnsafe(64 * 1024)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}
