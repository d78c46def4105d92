// The queue's side of delivery status notices: a failure notice before a failed message leaves the queue, a frozen
// message instead when the sender is <> (a bounce is never bounced), and one delay warning per message.
// Crash window: a crash after Notifier.send() resolved and before spool.complete() sends the notice again on the
// next run. That duplicate notice is the only one possible; a notice is never lost.
import type { Clock } from '../app/clock'
import type { Logger } from '../log/logger'
import type { NoticeKind, NoticeRecipient, Notifier } from '../notices/types'
import { isFinal, type Envelope, type EnvelopeRecipient } from './envelope'
import { expiresAt, lifetimeStart, type RetryPolicy } from './retry'
import type { Spool } from './spool'

/** Default queue.delayWarning: 4 hours. */
export const DEFAULT_DELAY_WARNING_MS = 4 * 3600_000

export interface NoticeDeps {
  spool: Spool
  notifier: Notifier | null
  clock: Clock
  log: Logger
  policy: RetryPolicy
  /** 0: never warn. */
  delayWarningMs: number
  /** Called before a finished message leaves the queue (see FinishedHook). */
  onFinished?: FinishedHook | null
}

/**
 * Called with a message whose every recipient is final, just before it is removed (not for a frozen one), with the
 * path of its data file, which still exists during the call. It must be idempotent (a crash before the removal calls
 * it again); when it throws, the message stays and the next run tries to finish it again (no recipient is retried).
 */
export type FinishedHook = (envelope: Envelope, dataPath: string) => Promise<void>

function noticeRecipient(r: EnvelopeRecipient, willRetryUntil?: number): NoticeRecipient {
  return { address: r.address, original: r.original, reply: r.lastReply, attempts: r.attempts, ...(willRetryUntil !== undefined ? { willRetryUntil } : {}) }
}

/** Sends one notice durably; false (and a log line) when there is no notifier to send it. */
export async function sendNotice(deps: NoticeDeps, kind: NoticeKind, env: Envelope, recipients: NoticeRecipient[]): Promise<boolean> {
  if (deps.notifier === null) {
    deps.log.warn('queue', `${env.id}: no notifier configured; the ${kind} notice to <${env.sender}> is not sent`)
    return false
  }
  const data = await deps.spool.readData(env.id)
  const result = await deps.notifier.send({ kind, envelope: env, recipients, data, now: deps.clock.now() })
  const said = result.status === 'suppressed' ? `suppressed (${result.reason})` : result.status === 'queued' ? `queued as ${result.id}` : `delivered to ${result.path}`
  deps.log.info('queue', `${env.id}: ${kind} notice to <${env.sender}>: ${said}`)
  return true
}

/**
 * A message whose every recipient is final leaves the queue: with failed recipients, the sender's notice goes out
 * first (durably); a message from <> with failed recipients is frozen in hold/ instead and stays.
 */
export async function finishMessage(deps: NoticeDeps, env: Envelope): Promise<{ outcome: 'completed' } | { outcome: 'frozen'; envelope: Envelope }> {
  const failed = env.recipients.filter((r) => r.state === 'failed')
  if (failed.length > 0 && env.sender === '') {
    const why = failed.map((r) => `${r.address}: ${r.lastReply?.human ?? r.lastReply?.text ?? 'failed'}`).join('; ')
    const frozen = await deps.spool.modify(env.id, (current) => current.hold !== null ? null : {
      ...current,
      hold: { kind: 'freeze', by: 'system', reason: `bounce of a bounce cannot be delivered: ${why}`, at: deps.clock.now() }
    })
    deps.log.warn('queue', `${env.id}: from <> and undeliverable: frozen in hold/ (no notice is sent for a message from <>)`)
    return { outcome: 'frozen', envelope: frozen.envelope }
  }
  if (deps.onFinished) await deps.onFinished(env, deps.spool.layout.dataPath(env.id))
  if (failed.length > 0) await sendNotice(deps, 'failure', env, failed.map((r) => noticeRecipient(r)))
  await deps.spool.complete(env.id, env.size)
  return { outcome: 'completed' }
}

/** Whether the delay warning is due: once per message, sender not <>, some recipient waiting ≥ delayWarning. */
export function delayWarningDue(env: Envelope, now: number, delayWarningMs: number): boolean {
  if (delayWarningMs <= 0 || env.warnedAt !== null || env.sender === '' || env.hold !== null) return false
  if (!env.recipients.some((r) => !isFinal(r) && r.state !== 'held' && r.attempts > 0)) return false
  return now - lifetimeStart(env) >= delayWarningMs
}

/** Sends the delay warning if due and records it (warnedAt, per-recipient warned) durably; returns the envelope now. */
export async function maybeWarnDelay(deps: NoticeDeps, env: Envelope): Promise<Envelope> {
  const now = deps.clock.now()
  if (!delayWarningDue(env, now, deps.delayWarningMs)) return env
  const waiting = env.recipients.filter((r) => !isFinal(r) && r.state !== 'held')
  const until = expiresAt(lifetimeStart(env), deps.policy)
  await sendNotice(deps, 'delay', env, waiting.map((r) => noticeRecipient(r, until)))
  const warned = new Set(waiting.map((r) => r.address))
  const entry = await deps.spool.modify(env.id, (current) => current.warnedAt !== null ? null : {
    ...current, warnedAt: now, recipients: current.recipients.map((r) => (warned.has(r.address) ? { ...r, warned: true } : r))
  })
  return entry.envelope
}
